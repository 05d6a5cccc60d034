#pragma once
// SSIM as scikit-image computes it: structural_similarity(a, b, gaussian_weights=True,
// sigma=1.5, use_sample_covariance=False, data_range=R, channel_axis=0) for every (C, H, W) image.
#include <ATen/core/Tensor.h>

namespace missingu::metrics {

// a, b: (N, C, H, W), the same shape, H and W >= 11; dataRange > 0 (2 for images in [-1, 1]).
// Returns (N,) float64 on the CPU: per image, the mean over channels of each channel's mean SSIM map.
// Computed in float64; std::invalid_argument for bad shapes or ranges.
at::Tensor ssim(const at::Tensor& a, const at::Tensor& b, double dataRange);

}  // namespace missingu::metrics
