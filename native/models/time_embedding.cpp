#include "models/time_embedding.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/exp.h>

#include <cmath>

namespace missingu::models {

at::Tensor sinusoidalEmbedding(const at::Tensor& t, int64_t dim, double theta) {
  const int64_t half = dim / 2;
  const auto options = at::TensorOptions().dtype(at::kFloat).device(t.device());
  const at::Tensor freqs = at::exp(at::arange(half, options) * (-std::log(theta) / static_cast<double>(half - 1)));
  const at::Tensor args = t.to(at::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  return at::cat({args.sin(), args.cos()}, 1);
}

}  // namespace missingu::models
