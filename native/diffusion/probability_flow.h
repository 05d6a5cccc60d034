#pragma once
// The probability-flow ODE of a discrete schedule (Song et al. 2021), solved with missing-u's own ODE
// engine (ode/solve.h). The schedule's continuous-time view is DPM-Solver's NoiseScheduleVP('discrete'):
// step n sits at time t_n = (n + 1) / T, log alpha is piecewise linear in t through
// log alpha_n = log(abar_n) / 2, and sigma = sqrt(1 - alpha^2). Then
//   dx/dt = d log alpha / dt * (x - eps(x, t) / sigma(t)),
// integrated from the start step's time down to `epsilon`, after which one more network evaluation
// predicts the clean image, as every other sampler's last step does.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "diffusion/denoiser.h"
#include "diffusion/sampler.h"
#include "diffusion/schedule.h"

namespace missingu::diffusion {

class ContinuousTime {
 public:
  explicit ContinuousTime(const Schedule& schedule);
  double timeOf(int64_t step) const;  // t_n = (n + 1) / T
  // The network's step for time t: the nearest t_n (a network trained on T steps is evaluated only
  // there; rounding costs one evaluation, interpolating two: docs/guide.md, "The ODE sampler").
  int64_t stepAt(double t) const;
  double logAlpha(double t) const;       // linear between the t_n, extended linearly beyond them
  double logAlphaSlope(double t) const;  // d log alpha / dt on the segment holding t
  double sigma(double t) const;

 private:
  int64_t segment(double t) const;  // i with t in [t_i, t_{i+1}), clamped to [0, T - 2]
  std::vector<double> logAlphas_;
};

// Runs the ODE from x at diffusion step `fromStep` to the clean image with options.ode. The result's
// stepsDone is the number of network evaluations. Throws std::invalid_argument for bad ODE options
// (also epsilon outside (0, t_fromStep)).
ReverseResult probabilityFlowReverse(const Denoiser& denoiser, const Schedule& schedule, const at::Tensor& x,
                                     int64_t fromStep, const SamplerOptions& options, const StepCallback& onStep);

}  // namespace missingu::diffusion
