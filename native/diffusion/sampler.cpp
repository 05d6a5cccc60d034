#include "diffusion/sampler.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/full.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/randn.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace missingu::diffusion {

SamplerKind samplerNamed(const std::string& name) {
  if (name == "ddpm") return SamplerKind::Ddpm;
  if (name == "ddim") return SamplerKind::Ddim;
  throw std::invalid_argument("unknown sampler '" + name + "': use ddpm or ddim");
}

ReverseResult reverse(const Denoiser& denoiser, const Schedule& schedule, at::Tensor x, int64_t fromStep,
                      const SamplerOptions& options, at::Generator& generator, const StepCallback& onStep) {
  if (fromStep < 0 || fromStep >= schedule.steps()) {
    throw std::invalid_argument("the reverse process must start at a step in [0, " +
                                std::to_string(schedule.steps() - 1) + "], got " + std::to_string(fromStep));
  }
  if (options.eta < 0) throw std::invalid_argument("eta must be >= 0, got " + std::to_string(options.eta));
  const std::vector<int64_t> timesteps =
      options.steps == 0 ? spacedTimesteps(fromStep + 1, fromStep + 1) : spacedTimesteps(fromStep + 1, options.steps);
  const Schedule spaced = respace(schedule, timesteps);
  const auto betas = spaced.betas.accessor<double, 1>();
  const auto abar = spaced.alphasCumprod.accessor<double, 1>();
  const auto n = static_cast<int64_t>(timesteps.size());
  const auto noiseLike = [&](const at::Tensor& like) {
    return at::randn(like.sizes(), generator, at::TensorOptions().dtype(at::kFloat))
        .to(like.device(), like.scalar_type());
  };

  at::NoGradGuard noGrad;
  ReverseResult result;
  for (int64_t i = n - 1; i >= 0; --i) {
    const at::Tensor t = at::full({x.size(0)}, timesteps[i], at::TensorOptions().dtype(at::kLong).device(x.device()));
    const Prediction p = predict(options.objective, schedule, x, t, denoiser(x, t), options.clip);
    const double abarT = abar[i], abarPrev = i > 0 ? abar[i - 1] : 1.0, beta = betas[i];
    if (options.kind == SamplerKind::Ddpm) {
      // Posterior mean of q(x_{t-1} | x_t, x_0); equals paper eq. 2 when x_0 is not clipped.
      const double coefX0 = std::sqrt(abarPrev) * beta / (1 - abarT);
      const double coefXt = std::sqrt(1 - beta) * (1 - abarPrev) / (1 - abarT);
      x = p.x0 * coefX0 + x * coefXt;
      if (i > 0) {
        // fixedlarge: beta_t (its first entry, replaced by the posterior's in improved-diffusion, is never
        // used for noise: the last step adds none); fixedsmall: the posterior variance.
        const double variance = options.fixedLarge ? beta : beta * (1 - abarPrev) / (1 - abarT);
        x = x + noiseLike(x) * std::sqrt(variance);
      }
    } else {
      const double sigma = options.eta * std::sqrt((1 - abarPrev) / (1 - abarT)) * std::sqrt(1 - abarT / abarPrev);
      x = p.x0 * std::sqrt(abarPrev) + p.eps * std::sqrt(std::max(0.0, 1 - abarPrev - sigma * sigma));
      if (sigma > 0) x = x + noiseLike(x) * sigma;
    }
    ++result.stepsDone;
    if (onStep && !onStep(result.stepsDone, n, x)) {
      result.stopped = true;
      break;
    }
  }
  // One reduction after the loop (nothing per step): NaN would otherwise leave as an all-black image.
  if (!result.stopped && !at::isfinite(x).all().item<bool>()) {
    throw std::runtime_error("the reverse process produced NaN or Inf values over its " + std::to_string(n) +
                             " steps from t=" + std::to_string(fromStep) +
                             " to 0: the model's weights or the diffusion settings are broken");
  }
  result.x = x;
  return result;
}

}  // namespace missingu::diffusion
