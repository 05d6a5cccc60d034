#include "models/rms_norm.h"

#include <ATen/ops/clamp_min.h>
#include <ATen/ops/linalg_vector_norm.h>
#include <ATen/ops/ones.h>

#include <cmath>

namespace missingu::models {

RMSNorm2dImpl::RMSNorm2dImpl(int64_t channels) : scale_(std::sqrt(static_cast<double>(channels))) {
  gain_ = register_parameter("g", at::ones({1, channels, 1, 1}));
}

at::Tensor RMSNorm2dImpl::forward(const at::Tensor& x) {
  // F.normalize(x, dim=1): x / max(||x||, 1e-12).
  const at::Tensor norm = at::linalg_vector_norm(x, 2, {1}, /*keepdim=*/true).clamp_min(1e-12);
  return x / norm * (gain_ * scale_);
}

}  // namespace missingu::models
