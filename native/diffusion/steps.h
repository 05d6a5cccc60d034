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

enum class SamplerKind { Ddpm, Ddim };
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

// Whether the update from t to tPrev adds noise (and so needs `noise` of x_t's shape).
bool stepNeedsNoise(const Schedule& schedule, const StepOptions& options, int64_t t, int64_t tPrev);

// DDPM ancestral step (Ho et al. eq. 11 through the posterior mean of q(x_{t_prev} | x_t, x_0)),
// variance beta ('fixedlarge') or the posterior's ('fixedsmall'); no noise at the last step.
StepResult ddpmStep(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                    int64_t tPrev, const at::Tensor& xt, const at::Tensor& noise);

// DDIM (Song et al. eq. 12): sigma = eta sqrt((1 - abar_prev) / (1 - abar)) sqrt(1 - abar / abar_prev).
StepResult ddimStep(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                    int64_t tPrev, const at::Tensor& xt, const at::Tensor& noise);

// The step of options.kind. `noise` may be undefined when stepNeedsNoise is false.
StepResult step(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                int64_t tPrev, const at::Tensor& xt, const at::Tensor& noise);

}  // namespace missingu::diffusion
