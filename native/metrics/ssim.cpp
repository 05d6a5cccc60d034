#include "metrics/ssim.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/conv2d.h>
#include <ATen/ops/exp.h>
#include <c10/util/StringUtil.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "metrics/image_pairs.h"

namespace missingu::metrics {
namespace {

constexpr double kSigma = 1.5;
constexpr int64_t kRadius = 5;  // int(truncate * sigma + 0.5) with skimage's truncate = 3.5
constexpr int64_t kWindow = 2 * kRadius + 1;
constexpr double kK1 = 0.01, kK2 = 0.03;
constexpr int64_t kChunk = 64;  // images per pass, to bound the float64 working set

// scipy.ndimage's 1-D Gaussian: exp(-x^2 / (2 sigma^2)) over x = -r..r, normalised to sum 1.
at::Tensor gaussianWindow(const at::TensorOptions& options) {
  const at::Tensor x = at::arange(-kRadius, kRadius + 1, options);
  const at::Tensor g = at::exp(x * x * (-0.5 / (kSigma * kSigma)));
  return g / g.sum();
}

// Mean SSIM per image and channel, (n, c). skimage filters with reflection at the borders and then
// crops kRadius pixels on every side before averaging, so a "valid" separable convolution is exact.
at::Tensor ssimMaps(const at::Tensor& a, const at::Tensor& b, const at::Tensor& window, double c1, double c2) {
  const int64_t n = a.size(0), c = a.size(1), h = a.size(2), w = a.size(3);
  const at::Tensor moments = at::cat({a, b, a * a, b * b, a * b}).reshape({5 * n * c, 1, h, w});
  at::Tensor f = at::conv2d(moments, window.view({1, 1, 1, kWindow}));
  f = at::conv2d(f, window.view({1, 1, kWindow, 1})).view({5, n, c, h - 2 * kRadius, w - 2 * kRadius});
  const at::Tensor ux = f[0], uy = f[1];
  const at::Tensor vx = f[2] - ux * ux;  // population (co)variances: use_sample_covariance=False
  const at::Tensor vy = f[3] - uy * uy;
  const at::Tensor vxy = f[4] - ux * uy;
  const at::Tensor s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  return s.mean({2, 3});
}

}  // namespace

at::Tensor ssim(const at::Tensor& a, const at::Tensor& b, double dataRange) {
  checkPair("ssim", a, b, 4, "(N, C, H, W)");
  checkDataRange("ssim", dataRange);
  if (a.size(2) < kWindow || a.size(3) < kWindow) {
    throw std::invalid_argument("ssim: images are " + c10::str(a.size(2)) + "x" + c10::str(a.size(3)) +
                                " but SSIM's Gaussian window needs at least " + c10::str(kWindow) + "x" +
                                c10::str(kWindow));
  }
  at::NoGradGuard noGrad;
  const at::TensorOptions options = at::TensorOptions().dtype(at::kDouble).device(a.device());
  const at::Tensor window = gaussianWindow(options);
  const double c1 = (kK1 * dataRange) * (kK1 * dataRange), c2 = (kK2 * dataRange) * (kK2 * dataRange);
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < a.size(0); start += kChunk) {
    const int64_t length = std::min(kChunk, a.size(0) - start);
    const at::Tensor x = a.narrow(0, start, length).to(at::kDouble);
    const at::Tensor y = b.narrow(0, start, length).to(a.device(), at::kDouble);
    parts.push_back(ssimMaps(x, y, window, c1, c2).mean(1));
  }
  return at::cat(parts).cpu();
}

}  // namespace missingu::metrics
