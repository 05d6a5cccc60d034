#include "metrics/feature_stats.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/linalg_eigh.h>
#include <ATen/ops/linalg_eigvalsh.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/outer.h>
#include <ATen/ops/zeros.h>
#include <c10/util/StringUtil.h>

#include <stdexcept>
#include <string>
#include <tuple>

namespace missingu::metrics {

void FeatureStats::add(const at::Tensor& batch) {
  if (batch.dim() != 2) {
    throw std::invalid_argument("feature statistics: a batch of features must be (B, D), got " +
                                c10::str(batch.sizes()));
  }
  if (count_ > 0 && batch.size(1) != dim_) {
    throw std::invalid_argument("feature statistics: features have " + c10::str(batch.size(1)) +
                                " dimensions but earlier batches had " + c10::str(dim_));
  }
  const int64_t rows = batch.size(0);
  if (rows == 0) return;
  at::NoGradGuard noGrad;
  const at::Tensor x = batch.to(at::kCPU, at::kDouble);
  const at::Tensor batchMean = x.mean(0);
  const at::Tensor centered = x - batchMean;
  const at::Tensor batchComoment = at::matmul(centered.t(), centered);
  if (count_ == 0) {
    dim_ = x.size(1);
    count_ = rows;
    mean_ = batchMean;
    comoment_ = batchComoment;
    return;
  }
  // Chan, Golub & LeVeque (1979): merge (n_a, mean_a, M_a) with (n_b, mean_b, M_b).
  const int64_t total = count_ + rows;
  const at::Tensor delta = batchMean - mean_;
  const double na = static_cast<double>(count_), nb = static_cast<double>(rows), n = static_cast<double>(total);
  mean_ = mean_ + delta * (nb / n);
  comoment_ = comoment_ + batchComoment + at::outer(delta, delta) * (na * nb / n);
  count_ = total;
}

at::Tensor FeatureStats::covariance() const {
  if (count_ < 2) return at::zeros({dim_, dim_}, at::TensorOptions().dtype(at::kDouble));
  return comoment_ / static_cast<double>(count_ - 1);
}

double frechetDistance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                       const at::Tensor& sigma2) {
  const int64_t d = mu1.numel();
  const auto check = [d](const at::Tensor& t, bool matrix, const std::string& name) {
    const bool ok = matrix ? (t.dim() == 2 && t.size(0) == d && t.size(1) == d) : (t.dim() == 1 && t.size(0) == d);
    if (!ok) {
      throw std::invalid_argument("frechet distance: " + name + " is " + c10::str(t.sizes()) + " but mean1 has " +
                                  c10::str(d) + " dimensions (means are (D,), covariances (D, D))");
    }
  };
  check(mu1, false, "mean1");
  check(sigma1, true, "covariance1");
  check(mu2, false, "mean2");
  check(sigma2, true, "covariance2");
  if (d == 0) throw std::invalid_argument("frechet distance: the features have no dimensions");
  at::NoGradGuard noGrad;
  const auto f64 = [](const at::Tensor& t) { return t.to(at::kCPU, at::kDouble); };
  const at::Tensor m1 = f64(mu1), m2 = f64(mu2), s1 = f64(sigma1), s2 = f64(sigma2);
  const auto [values, vectors] = at::linalg_eigh(s1);
  const at::Tensor root = at::matmul(vectors * values.clamp_min(0).sqrt(), vectors.t());  // V diag(sqrt l) V^T
  at::Tensor product = at::matmul(at::matmul(root, s2), root);
  product = (product + product.t()) * 0.5;
  const double traceOfRoot = at::linalg_eigvalsh(product).clamp_min(0).sqrt().sum().item<double>();
  const double meanTerm = (m1 - m2).square().sum().item<double>();
  return meanTerm + s1.trace().item<double>() + s2.trace().item<double>() - 2 * traceOfRoot;
}

}  // namespace missingu::metrics
