#pragma once
// The reverse process: one loop over any subset of the T steps (respacing, spacing.h) that calls the
// denoiser and then a sampler's pure update (steps.h). One call runs the whole loop.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <functional>
#include <optional>
#include <vector>

#include "diffusion/denoiser.h"
#include "diffusion/schedule.h"
#include "diffusion/spacing.h"
#include "diffusion/steps.h"
#include "ode/solve.h"

namespace missingu::diffusion {

// The 'ode' sampler's solver (probability_flow.h): a method of the ODE engine with its steps or
// tolerances, integrating down to time epsilon.
struct FlowOdeOptions {
  ode::SolveOptions solve;
  double epsilon = 1e-3;
};

struct SamplerOptions : StepOptions {
  int64_t steps = 0;  // reverse steps; 0 = every step from `fromStep` down (no respacing)
  Spacing spacing = Spacing::Improved;
  FlowOdeOptions ode;  // read by the 'ode' sampler only
};

// Sees the clean image each reverse step predicted (clipped as its update used it), labelled with the
// step t the model saw; called before that step's StepCallback.
using PredictionCallback = std::function<void(int64_t t, const at::Tensor& x0)>;

struct ReverseResult {
  at::Tensor x;
  int64_t stepsDone = 0;
  int64_t nfe = 0;       // network evaluations
  bool stopped = false;  // the callback asked to stop
};

// The (t, t_prev) pairs the loop runs: the spacing's, each landing on the next visited step for
// samplers that chain their steps (multistep ones).
std::vector<ReverseStep> samplerSteps(int64_t fromStep, const SamplerOptions& options);

// Standard normal float32 values of `shape` on the CPU: torch.randn(shape, generator=generator).
at::Tensor drawNormal(at::Generator& generator, at::IntArrayRef shape);

// Standard normal noise of like's shape, as the loop draws it: float32 from the CPU generator, then
// moved to like's device and dtype.
at::Tensor drawNoise(at::Generator& generator, const at::Tensor& like);

// x_T for sampling from noise, on `device`: the generator's first draw (torch.manual_seed(seed);
// torch.randn(shape) in Python), or `given` in its place. The draw happens either way, so the noise
// of every later step is the same with and without `given`.
at::Tensor drawStart(at::Generator& generator, at::IntArrayRef shape, const std::optional<at::Tensor>& given,
                     c10::Device device);

// Runs the reverse process from x at diffusion step `fromStep` (T - 1 for sampling from noise) to 0.
// Noise is drawn from `generator` on the CPU (then moved to x's device), one draw per noisy step,
// after the denoiser's call.
ReverseResult reverse(const Denoiser& denoiser, const Schedule& schedule, at::Tensor x, int64_t fromStep,
                      const SamplerOptions& options, at::Generator& generator, const StepCallback& onStep,
                      const PredictionCallback& onPrediction = {});

}  // namespace missingu::diffusion
