#include "diffusion/probability_flow.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/full.h>
#include <ATen/ops/isfinite.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "diffusion/objective.h"
#include "ode/dynamics.h"
#include "ode/solve.h"

namespace missingu::diffusion {
namespace {

// Thrown from inside the vector field when the progress callback asks to stop: the solver has no
// other way out of its loop.
struct Stopped {};

constexpr int64_t kProgressTotal = 1000;

}  // namespace

ContinuousTime::ContinuousTime(const Schedule& schedule) {
  const auto abar = schedule.alphasCumprod.accessor<double, 1>();
  logAlphas_.reserve(static_cast<size_t>(schedule.steps()));
  for (int64_t n = 0; n < schedule.steps(); ++n) logAlphas_.push_back(0.5 * std::log(abar[n]));
}

double ContinuousTime::timeOf(int64_t step) const {
  return static_cast<double>(step + 1) / static_cast<double>(logAlphas_.size());
}

int64_t ContinuousTime::stepAt(double t) const {
  const auto last = static_cast<int64_t>(logAlphas_.size()) - 1;
  const double position = t * static_cast<double>(logAlphas_.size()) - 1.0;
  return std::clamp<int64_t>(static_cast<int64_t>(std::llround(position)), 0, last);
}

int64_t ContinuousTime::segment(double t) const {
  const auto last = static_cast<int64_t>(logAlphas_.size()) - 2;
  const double position = t * static_cast<double>(logAlphas_.size()) - 1.0;
  return std::clamp<int64_t>(static_cast<int64_t>(std::floor(position)), 0, last);
}

double ContinuousTime::logAlphaSlope(double t) const {
  const auto i = static_cast<size_t>(segment(t));
  return (logAlphas_[i + 1] - logAlphas_[i]) * static_cast<double>(logAlphas_.size());
}

double ContinuousTime::logAlpha(double t) const {
  const int64_t i = segment(t);
  return logAlphas_[static_cast<size_t>(i)] + (t - timeOf(i)) * logAlphaSlope(t);
}

double ContinuousTime::sigma(double t) const { return std::sqrt(-std::expm1(2.0 * logAlpha(t))); }

ReverseResult probabilityFlowReverse(const Denoiser& denoiser, const Schedule& schedule, const at::Tensor& x,
                                     int64_t fromStep, const SamplerOptions& options, const StepCallback& onStep) {
  const ContinuousTime time(schedule);
  const double start = time.timeOf(fromStep);
  const double end = options.ode.epsilon;
  if (!(end > 0 && end < start)) {
    throw std::invalid_argument("ode.epsilon must be in (0, " + std::to_string(start) +
                                "), the time of the start step " + std::to_string(fromStep) + "; got " +
                                std::to_string(end));
  }
  ode::validate(options.ode.solve);
  const auto stepTensor = [&x](int64_t step) {
    return at::full({x.size(0)}, step, at::TensorOptions().dtype(at::kLong).device(x.device()));
  };

  at::NoGradGuard noGrad;
  ReverseResult result;
  ReverseProgress progress{0, kProgressTotal, 0};
  at::Tensor latest = x;
  const auto evaluated = [&](const at::Tensor& z, double t) {
    ++progress.nfe;
    const auto share = static_cast<int64_t>(std::floor((start - t) / (start - end) * kProgressTotal));
    progress.done = std::max(progress.done, std::clamp<int64_t>(share, 0, kProgressTotal));
    latest = z;
    if (onStep && !onStep(progress, z)) throw Stopped{};
  };
  // The network's eps at its nearest step, unclipped: clipping inside the field would bend the ODE.
  const ode::FirstOrderDynamics field(
      [&](const at::Tensor& z, double t) {
        const at::Tensor steps = stepTensor(time.stepAt(t));
        const at::Tensor output = denoiser(z, steps).to(z.scalar_type());
        const at::Tensor eps = predict(options.objective, schedule, z, steps, output, false).eps;
        const at::Tensor velocity = time.logAlphaSlope(t) * (z - eps / time.sigma(t));
        evaluated(z, t);
        return velocity;
      },
      {});
  try {
    at::Tensor z = ode::solve(field, {x.to(at::kFloat)}, start, end, options.ode.solve).y[0];
    const at::Tensor last = stepTensor(time.stepAt(end));
    const at::Tensor output = denoiser(z, last).to(z.scalar_type());
    result.x = predict(options.objective, schedule, z, last, output, options.clip).x0;
    progress.done = kProgressTotal;
    evaluated(result.x, end);
  } catch (const Stopped&) {
    result.stopped = true;
    result.x = latest;
  }
  result.stepsDone = progress.nfe;
  result.nfe = progress.nfe;
  if (!result.stopped && !at::isfinite(result.x).all().item<bool>()) {
    throw std::runtime_error("the probability-flow ODE produced NaN or Inf values after " +
                             std::to_string(progress.nfe) + " network evaluations from t=" + std::to_string(fromStep) +
                             ": the model's weights or the diffusion settings are broken");
  }
  return result;
}

}  // namespace missingu::diffusion
