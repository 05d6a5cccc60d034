#include "napi/objective_binding.h"

#include <ATen/ops/empty.h>

#include <stdexcept>

#include "diffusion/objective.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/options.h"
#include "napi/tensor.h"

namespace missingu {
namespace {

diffusion::Schedule scheduleOf(const OptionReader& opts) {
  return diffusion::makeSchedule(opts.string("schedule"),
                                 opts.integer("diffusionSteps", 2, diffusion::kMaxDiffusionSteps));
}

at::Tensor stepsArgument(const Napi::Value& value, const std::string& what, int64_t batch) {
  const at::Tensor t = TensorWrap::unwrap(value, what);
  if (t.dim() != 1 || (batch >= 0 && t.size(0) != batch)) {
    throw std::invalid_argument(what + " must be (B,) with one step per sample");
  }
  return t.to(at::kLong);
}

}  // namespace

Napi::Value diffusionTarget(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const at::Tensor x0 = TensorWrap::unwrap(info[0], "target: x0");
    const at::Tensor noise = TensorWrap::unwrap(info[1], "target: noise");
    if (x0.dim() != 4 || noise.sizes() != x0.sizes()) {
      throw std::invalid_argument("target: x0 must be (B, C, H, W) and noise the shape of x0");
    }
    const at::Tensor t = stepsArgument(info[2], "target: t", x0.size(0));
    const OptionReader opts(info[3], "target");
    const diffusion::Objective objective = diffusion::objectiveNamed(opts.string("objective"));
    const diffusion::Schedule schedule = scheduleOf(opts);
    opts.finish();
    at::Tensor out;
    runOnComputeThread([&] { out = diffusion::target(objective, schedule, x0, noise, t); });
    return TensorWrap::wrap(env, out);
  });
}

Napi::Value diffusionLossWeights(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const at::Tensor t = stepsArgument(info[0], "lossWeights: t", -1);
    const OptionReader opts(info[1], "lossWeights");
    const diffusion::Objective objective = diffusion::objectiveNamed(opts.string("objective"));
    const bool snrWeighting = opts.boolean("snrWeighting");
    const double minSnrGamma = opts.number("minSnrGamma");
    const diffusion::Schedule schedule = scheduleOf(opts);
    opts.finish();
    at::Tensor weights;
    runOnComputeThread([&] {
      const at::Tensor like = at::empty({0}, at::TensorOptions().dtype(at::kDouble));
      weights = diffusion::lossWeights(objective, schedule, t, snrWeighting, minSnrGamma, like).flatten().contiguous();
    });
    Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(weights.numel()));
    const auto values = weights.accessor<double, 1>();
    for (int64_t i = 0; i < weights.numel(); ++i) out[i] = values[i];
    return out;
  });
}

}  // namespace missingu
