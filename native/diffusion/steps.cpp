#include "diffusion/steps.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/full.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "runtime/name_table.h"

namespace missingu::diffusion {
namespace {

const NameTable<SamplerKind>& samplers() {
  static const NameTable<SamplerKind> table{{"ddpm", SamplerKind::Ddpm},
                                            {"ddim", SamplerKind::Ddim},
                                            {"dpmpp-2m", SamplerKind::DpmSolverPP2M},
                                            {"ode", SamplerKind::ProbabilityFlowOde}};
  return table;
}

const NameTable<DdpmVariance>& variances() {
  static const NameTable<DdpmVariance> table{{"fixedlarge", DdpmVariance::FixedLarge},
                                             {"fixedsmall", DdpmVariance::FixedSmall}};
  return table;
}

struct Coefficients {
  double abar, abarPrev, beta;  // beta = 1 - abar_t / abar_{t_prev}: the respaced schedule's beta
};

Coefficients coefficients(const Schedule& schedule, int64_t t, int64_t tPrev) {
  if (t < 0 || t >= schedule.steps()) {
    throw std::invalid_argument("step: t must be in [0, " + std::to_string(schedule.steps() - 1) + "], got " +
                                std::to_string(t));
  }
  if (tPrev < -1 || tPrev >= t) {
    throw std::invalid_argument("step: t_prev must be in [-1, t - 1] = [-1, " + std::to_string(t - 1) + "], got " +
                                std::to_string(tPrev));
  }
  const auto abar = schedule.alphasCumprod.accessor<double, 1>();
  const double abarPrev = tPrev >= 0 ? abar[tPrev] : 1.0;
  return {abar[t], abarPrev, 1.0 - abar[t] / abarPrev};
}

double ddimSigma(const Coefficients& c, double eta) {
  return eta * std::sqrt((1 - c.abarPrev) / (1 - c.abar)) * std::sqrt(1 - c.abar / c.abarPrev);
}

Prediction predicted(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                     const at::Tensor& xt) {
  if (output.sizes() != xt.sizes()) {
    throw std::invalid_argument("step: the model output must have x_t's shape");
  }
  const at::Tensor steps = at::full({xt.size(0)}, t, at::TensorOptions().dtype(at::kLong).device(xt.device()));
  return predict(options.objective, schedule, xt, steps, output, options.clip);
}

const at::Tensor& requireNoise(const at::Tensor& noise, const at::Tensor& xt) {
  if (!noise.defined()) throw std::invalid_argument("step: this step adds noise: give noise of x_t's shape");
  if (noise.sizes() != xt.sizes()) throw std::invalid_argument("step: noise must have x_t's shape");
  return noise;
}

}  // namespace

SamplerKind samplerNamed(const std::string& name) { return samplers().parse(name, "sampler"); }

std::vector<std::string> samplerNames() { return samplers().names(); }

DdpmVariance ddpmVarianceNamed(const std::string& name) { return variances().parse(name, "DDPM variance"); }

std::vector<std::string> ddpmVarianceNames() { return variances().names(); }

bool stepNeedsNoise(const Schedule& schedule, const StepOptions& options, int64_t t, int64_t tPrev) {
  const Coefficients c = coefficients(schedule, t, tPrev);
  switch (options.kind) {
    case SamplerKind::Ddpm: return tPrev >= 0;
    case SamplerKind::Ddim: return ddimSigma(c, options.eta) > 0;
    case SamplerKind::DpmSolverPP2M:
    case SamplerKind::ProbabilityFlowOde: return false;
  }
  throw std::logic_error("stepNeedsNoise: a sampler without a case");
}

StepResult ddpmStep(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                    int64_t tPrev, const at::Tensor& xt, const at::Tensor& noise) {
  const Coefficients c = coefficients(schedule, t, tPrev);
  const Prediction p = predicted(schedule, options, output, t, xt);
  // Posterior mean of q(x_{t_prev} | x_t, x_0); equals paper eq. 2 when x_0 is not clipped.
  const double coefX0 = std::sqrt(c.abarPrev) * c.beta / (1 - c.abar);
  const double coefXt = std::sqrt(1 - c.beta) * (1 - c.abarPrev) / (1 - c.abar);
  at::Tensor prev = p.x0 * coefX0 + xt * coefXt;
  if (tPrev >= 0) {
    // fixedlarge: beta_t (its first entry, replaced by the posterior's in improved-diffusion, is never
    // used for noise: the last step adds none); fixedsmall: the posterior variance.
    const double variance =
        options.variance == DdpmVariance::FixedLarge ? c.beta : c.beta * (1 - c.abarPrev) / (1 - c.abar);
    prev = prev + requireNoise(noise, xt) * std::sqrt(variance);
  }
  return {prev, p.x0};
}

StepResult ddimStep(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                    int64_t tPrev, const at::Tensor& xt, const at::Tensor& noise) {
  if (options.eta < 0) throw std::invalid_argument("eta must be >= 0, got " + std::to_string(options.eta));
  const Coefficients c = coefficients(schedule, t, tPrev);
  const Prediction p = predicted(schedule, options, output, t, xt);
  const double sigma = ddimSigma(c, options.eta);
  at::Tensor prev = p.x0 * std::sqrt(c.abarPrev) + p.eps * std::sqrt(std::max(0.0, 1 - c.abarPrev - sigma * sigma));
  if (sigma > 0) prev = prev + requireNoise(noise, xt) * sigma;
  return {prev, p.x0};
}

bool chainsSteps(const StepOptions& options) { return options.kind == SamplerKind::DpmSolverPP2M; }

StepResult dpmpp2mStep(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                       int64_t tPrev, const at::Tensor& xt, const StepHistory& previous) {
  const Coefficients c = coefficients(schedule, t, tPrev);
  const Prediction p = predicted(schedule, options, output, t, xt);
  if (tPrev < 0) return {p.x0, p.x0};
  const auto lambda = [](double abar) { return 0.5 * (std::log(abar) - std::log1p(-abar)); };
  const double alphaPrev = std::sqrt(c.abarPrev), sigmaPrev = std::sqrt(1 - c.abarPrev);
  const double sigma = std::sqrt(1 - c.abar);
  const double h = lambda(c.abarPrev) - lambda(c.abar);
  const double decay = std::expm1(-h);  // exp(-h) - 1
  at::Tensor prev = xt * (sigmaPrev / sigma) - p.x0 * (alphaPrev * decay);
  if (previous.x0.defined()) {
    if (previous.t <= t || previous.t >= schedule.steps()) {
      throw std::invalid_argument("step: the step before must be at a t in (" + std::to_string(t) + ", " +
                                  std::to_string(schedule.steps() - 1) + "], got " + std::to_string(previous.t));
    }
    if (previous.x0.sizes() != xt.sizes()) throw std::invalid_argument("step: the history's x0 must have x_t's shape");
    const auto abar = schedule.alphasCumprod.accessor<double, 1>();
    const double r = (lambda(c.abar) - lambda(abar[previous.t])) / h;
    prev = prev - (p.x0 - previous.x0) * (0.5 * alphaPrev * decay / r);
  }
  return {prev, p.x0};
}

StepResult step(const Schedule& schedule, const StepOptions& options, const at::Tensor& output, int64_t t,
                int64_t tPrev, const at::Tensor& xt, const at::Tensor& noise, const StepHistory& previous) {
  // A switch without a default: -Wall names a sampler added to SamplerKind but not here.
  switch (options.kind) {
    case SamplerKind::Ddpm: return ddpmStep(schedule, options, output, t, tPrev, xt, noise);
    case SamplerKind::Ddim: return ddimStep(schedule, options, output, t, tPrev, xt, noise);
    case SamplerKind::DpmSolverPP2M: return dpmpp2mStep(schedule, options, output, t, tPrev, xt, previous);
    case SamplerKind::ProbabilityFlowOde:
      throw std::invalid_argument(
          "step: the 'ode' sampler integrates the probability-flow ODE in one call and has no single steps; "
          "use sample(), or 'ddim' / 'dpmpp-2m' step by step");
  }
  throw std::logic_error("step: a sampler without a case");
}

}  // namespace missingu::diffusion
