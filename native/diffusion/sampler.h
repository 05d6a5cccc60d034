#pragma once
// The reverse process: DDPM ancestral sampling and DDIM, both over any subset of the T steps
// (respacing, improved-diffusion's rule). One call runs the whole loop.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <string>

#include "diffusion/denoiser.h"
#include "diffusion/objective.h"
#include "diffusion/schedule.h"

namespace missingu::diffusion {

enum class SamplerKind { Ddpm, Ddim };
SamplerKind samplerNamed(const std::string& name);  // 'ddpm' | 'ddim'

struct SamplerOptions {
  SamplerKind kind = SamplerKind::Ddpm;
  int64_t steps = 0;       // reverse steps; 0 = every step from `fromStep` down (no respacing)
  double eta = 0.0;        // DDIM: 0 is deterministic, 1 matches DDPM's variance
  bool fixedLarge = true;  // DDPM variance: beta_t ('fixedlarge') or the posterior's ('fixedsmall')
  bool clip = true;        // clip the predicted x_0 to [-1, 1]
  Objective objective = Objective::Eps;
};

struct ReverseResult {
  at::Tensor x;
  int64_t stepsDone = 0;
  bool stopped = false;  // the callback asked to stop
};

// Runs the reverse process from x at diffusion step `fromStep` (T - 1 for sampling from noise) to 0.
// Noise is drawn from `generator` on the CPU (then moved to x's device), one draw per noisy step.
ReverseResult reverse(const Denoiser& denoiser, const Schedule& schedule, at::Tensor x, int64_t fromStep,
                      const SamplerOptions& options, at::Generator& generator, const StepCallback& onStep);

}  // namespace missingu::diffusion
