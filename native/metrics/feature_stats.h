#pragma once
// Streaming feature statistics and the Frechet distance between the Gaussians they describe (FID).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace missingu::metrics {

// Count, mean and comoment matrix of feature vectors seen so far, in float64 on the CPU; batches merge
// with Chan et al.'s parallel update, so any split of the same rows gives the same statistics.
class FeatureStats {
 public:
  // batch: (B, D) of any floating dtype and device; D must match earlier batches. B = 0 is a no-op.
  void add(const at::Tensor& batch);

  int64_t count() const { return count_; }
  int64_t dim() const { return dim_; }
  // (D,) float64; undefined before the first add().
  const at::Tensor& mean() const { return mean_; }
  // (D, D) unbiased covariance (divides by count - 1, as numpy.cov(rowvar=False)); zeros when count < 2.
  at::Tensor covariance() const;

 private:
  int64_t count_ = 0;
  int64_t dim_ = 0;
  at::Tensor mean_;      // (D,)
  at::Tensor comoment_;  // (D, D): sum over rows of (x - mean)(x - mean)^T
};

// ||mu1 - mu2||^2 + tr S1 + tr S2 - 2 sum_i sqrt(max(l_i, 0)), with l the eigenvalues of
// sqrt(S1) S2 sqrt(S1) (symmetrised; sqrt(S1) from a symmetric eigendecomposition with negative
// eigenvalues clamped to 0): equal to pytorch-fid's tr sqrtm(S1 S2) for positive semi-definite S1, S2.
// mu: (D,), sigma: (D, D); std::invalid_argument when the shapes disagree. Computed in float64.
double frechetDistance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                       const at::Tensor& sigma2);

}  // namespace missingu::metrics
