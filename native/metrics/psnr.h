#pragma once
// Peak signal-to-noise ratio per image: 10 log10(R^2 / MSE), +inf for identical images.
#include <ATen/core/Tensor.h>

namespace missingu::metrics {

// a, b: (N, ...) of the same shape; dataRange > 0. Returns (N,) float64 on the CPU, computed in float64.
at::Tensor psnr(const at::Tensor& a, const at::Tensor& b, double dataRange);

}  // namespace missingu::metrics
