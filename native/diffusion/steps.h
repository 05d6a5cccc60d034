#pragma once
// One reverse update per sampler, each a pure function of (model output, t, t_prev, x_t, noise), as
// diffusers' schedulers are: the loop (sampler.h) and TypeScript's step-wise scheduler both call these.
// t and t_prev index the full schedule (t_prev = -1 for the last step, which lands on the clean image);
// the update's beta is 1 - abar_t / abar_{t_prev}, so any subset of the T steps works (respacing).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "diffusion/objective.h"
#include "diffusion/schedule.h"

namespace missingu::diffusion {

// ProbabilityFlowOde has no single steps: sampler.h's reverse() hands it to probability_flow.h.
enum class SamplerKind { Ddpm, Ddim, DpmSolverPP2M, ProbabilityFlowOde };
SamplerKind samplerNamed(const std::string& name);  // std::invalid_argument naming the samplers otherwise
std::vector<std::string> samplerNames();            // the names steps.cpp's table gives them

// DDPM's step variance: beta_t ('fixedlarge') or the posterior's ('fixedsmall').
enum class DdpmVariance { FixedLarge, FixedSmall };
DdpmVariance ddpmVarianceNamed(const std::string& name);
std::vector<std::string> ddpmVarianceNames();

struct StepOptions {
  SamplerKind kind = SamplerKind::Ddpm;
  double eta = 0.0;  // DDIM: 0 is deterministic, 1 matches DDPM's variance
  DdpmVariance variance = DdpmVariance::FixedLarge;
  bool clip = true;  // clip the predicted x_0 to [-1, 1]
  Objective objective = Objective::Eps;
};

struct StepResult {
  at::Tensor prev;  // x_{t_prev}
  at::Tensor x0;    // the predicted clean image (clipped when clipping is on)
};

// What a multistep sampler keeps of the step before: the clean image it predicted at step t.
// Undefined x0: no step before (the first step, or a sampler that keeps nothing).
struct StepHistory {
  at::Tensor x0;
  int64_t t = -1;
};

// Whether the sampler steps from each visited t to the next one visited (multistep solvers must:
// their history is taken on the path), whatever landing the spacing gives DDIM.
bool chainsSteps(const StepOptions& options);

// Whether the update from t to tPrev adds noise (and so needs `noise` of x_t's shape).
bool stepNeedsNoise(const Schedule& schedule, const StepOptions& options, int64_t t, int64_t tPrev);

// DDPM ancestral step (Ho et al. eq. 11 through the posterior mean of q(x_{t_prev} | x_t, x_0)),
// variance beta ('fixedlarge') or the posterior's ('fixedsmall'); no noise at the last step.
StepResult ddpmStep(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                    int64_t tPrev, const at::Tensor& xt, const at::Tensor& noise);

// DDIM (Song et al. eq. 12): sigma = eta sqrt((1 - abar_prev) / (1 - abar)) sqrt(1 - abar / abar_prev).
StepResult ddimStep(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                    int64_t tPrev, const at::Tensor& xt, const at::Tensor& noise);

// DPM-Solver++(2M) (Lu et al. 2022, algorithm 2; diffusers' DPMSolverMultistepScheduler with
// algorithm_type 'dpmsolver++', solver_order 2) on the discrete schedule's continuous-time view:
// alpha_t = sqrt(abar_t), sigma_t = sqrt(1 - abar_t), lambda_t = log(alpha_t / sigma_t). First order
// (DDIM's update) without history; second order (the midpoint form) with the x_0 predicted at the step
// before; the last step (t_prev = -1, sigma 0) is the predicted x_0 itself, as the lower-order final
// step with a zero final sigma gives it.
StepResult dpmpp2mStep(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                       int64_t tPrev, const at::Tensor& xt, const StepHistory& previous);

// The step of options.kind. `noise` may be undefined when stepNeedsNoise is false; `previous` is read
// by multistep samplers only.
StepResult step(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                int64_t tPrev, const at::Tensor& xt, const at::Tensor& noise, const StepHistory& previous = {});

}  // namespace missingu::diffusion
