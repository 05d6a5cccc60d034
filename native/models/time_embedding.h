#pragma once
#include <ATen/core/Tensor.h>

namespace missingu::models {

// [sin(t f_i), cos(t f_i)] with f_i = theta^(-i / (half - 1)), i < half = dim / 2 (the DDPM and
// lucidrains form). t: (B,) -> (B, dim) float32.
at::Tensor sinusoidalEmbedding(const at::Tensor& t, int64_t dim, double theta = 10000.0);

}  // namespace missingu::models
