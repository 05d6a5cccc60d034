#include "diffusion/sampler.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/full.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/randn.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "diffusion/probability_flow.h"

namespace missingu::diffusion {

std::vector<ReverseStep> samplerSteps(int64_t fromStep, const SamplerOptions& options) {
  std::vector<ReverseStep> steps = reverseSteps(fromStep, options.steps, options.spacing);
  if (chainsSteps(options)) {
    for (size_t i = 0; i < steps.size(); ++i) steps[i].tPrev = i + 1 < steps.size() ? steps[i + 1].t : -1;
  }
  return steps;
}

at::Tensor drawNormal(at::Generator& generator, at::IntArrayRef shape) {
  return at::randn(shape, generator, at::TensorOptions().dtype(at::kFloat));
}

at::Tensor drawNoise(at::Generator& generator, const at::Tensor& like) {
  return drawNormal(generator, like.sizes()).to(like.device(), like.scalar_type());
}

at::Tensor drawStart(at::Generator& generator, at::IntArrayRef shape, const std::optional<at::Tensor>& given,
                     c10::Device device) {
  const at::Tensor drawn = drawNormal(generator, shape);
  return (given ? *given : drawn).to(device);
}

ReverseResult reverse(const Denoiser& denoiser, const Schedule& schedule, at::Tensor x, int64_t fromStep,
                      const SamplerOptions& options, at::Generator& generator, const StepCallback& onStep,
                      const PredictionCallback& onPrediction) {
  if (fromStep < 0 || fromStep >= schedule.steps()) {
    throw std::invalid_argument("the reverse process must start at a step in [0, " +
                                std::to_string(schedule.steps() - 1) + "], got " + std::to_string(fromStep));
  }
  if (options.eta < 0) throw std::invalid_argument("eta must be >= 0, got " + std::to_string(options.eta));
  if (options.kind == SamplerKind::ProbabilityFlowOde) {
    return probabilityFlowReverse(denoiser, schedule, x, fromStep, options, onStep);
  }
  const std::vector<ReverseStep> steps = samplerSteps(fromStep, options);
  const auto n = static_cast<int64_t>(steps.size());

  at::NoGradGuard noGrad;
  ReverseResult result;
  StepHistory history;
  for (const auto [t, tPrev] : steps) {
    const at::Tensor output =
        denoiser(x, at::full({x.size(0)}, t, at::TensorOptions().dtype(at::kLong).device(x.device())));
    const at::Tensor noise = stepNeedsNoise(schedule, options, t, tPrev) ? drawNoise(generator, x) : at::Tensor();
    StepResult stepped = step(schedule, options, output, t, tPrev, x, noise, history);
    if (onPrediction) onPrediction(t, stepped.x0);
    history = {stepped.x0, t};
    x = std::move(stepped.prev);
    ++result.stepsDone;
    result.nfe = result.stepsDone;
    if (onStep && !onStep({result.stepsDone, n, result.nfe}, x)) {
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
