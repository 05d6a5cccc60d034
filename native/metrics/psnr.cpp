#include "metrics/psnr.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/log10.h>

#include "metrics/image_pairs.h"

namespace missingu::metrics {

at::Tensor psnr(const at::Tensor& a, const at::Tensor& b, double dataRange) {
  checkPair("psnr", a, b, 0, "(N, ...)");
  checkDataRange("psnr", dataRange);
  at::NoGradGuard noGrad;
  const at::Tensor x = a.to(at::kDouble);
  const at::Tensor y = b.to(a.device(), at::kDouble);
  const at::Tensor mse = (x - y).square().reshape({a.size(0), -1}).mean(1);
  // skimage's 10 * log10(R^2 / err): a zero error divides to +inf, so identical images give +inf.
  return (10 * at::log10((dataRange * dataRange) / mse)).cpu();
}

}  // namespace missingu::metrics
