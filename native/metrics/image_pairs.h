#pragma once
// Argument checks shared by the paired image metrics (SSIM, PSNR, LPIPS).
#include <ATen/core/Tensor.h>

#include <string>

namespace missingu::metrics {

// std::invalid_argument unless a and b have the same shape, of rank `rank` (0: any rank >= 1), with N >= 1.
void checkPair(const std::string& metric, const at::Tensor& a, const at::Tensor& b, int64_t rank,
               const std::string& layout);

// std::invalid_argument unless dataRange is a finite number > 0.
void checkDataRange(const std::string& metric, double dataRange);

}  // namespace missingu::metrics
