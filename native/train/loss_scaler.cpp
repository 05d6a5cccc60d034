#include "train/loss_scaler.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/_amp_foreach_non_finite_check_and_unscale.h>
#include <ATen/ops/full.h>
#include <ATen/ops/zeros.h>

#include <string>

#include "runtime/error_code.h"

namespace missingu::train {
namespace {

constexpr double kMinScale = 1.0 / (1 << 24);

}  // namespace

LossScaler::LossScaler(double initialScale, int64_t growthInterval)
    : scale_(initialScale), growthInterval_(growthInterval) {}

at::Tensor LossScaler::scaled(const at::Tensor& loss) const { return enabled() ? loss * scale_ : loss; }

bool LossScaler::unscale(const std::vector<at::Tensor>& parameters, int64_t step) {
  if (!enabled()) return true;
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> grads;
  for (const at::Tensor& p : parameters) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return true;
  const auto options = at::TensorOptions().dtype(at::kFloat).device(grads.front().device());
  at::Tensor foundInf = at::zeros({1}, options);
  at::_amp_foreach_non_finite_check_and_unscale_(grads, foundInf, at::full({1}, 1.0 / scale_, options));
  const bool finite = foundInf.item<float>() == 0.0f;
  if (finite) {
    if (++goodSteps_ >= growthInterval_) {
      scale_ *= 2.0;
      goodSteps_ = 0;
    }
    return true;
  }
  scale_ /= 2.0;
  goodSteps_ = 0;
  if (scale_ < kMinScale) {
    throw CodedError(ErrorCode::Numeric, "training stopped at step " + std::to_string(step) +
                                             ": the gradients are not finite even at a loss scale below 2^-24, "
                                             "so the run diverged (lower lr, enable gradClip, or train in fp32/bf16)");
  }
  return false;
}

}  // namespace missingu::train
