#pragma once
// Raw CPU kernels behind stage_update.h, on float32 buffers of n elements.
#include <cstdint>
#include <vector>

namespace missingu::ode::cpu {

// out[i] = y[i] + sum_j coefs[j] * ks[j][i]; out may alias y.
void combine(float* out, const float* y, const std::vector<const float*>& ks, const std::vector<float>& coefs,
             int64_t n);

// sum_i (sum_j coefs[j] ks[j][i] / (atol + rtol * max(|y0[i]|, |y1[i]|)))^2, accumulated in double.
double scaledErrorSumOfSquares(const float* y0, const float* y1, const std::vector<const float*>& ks,
                               const std::vector<float>& coefs, float rtol, float atol, int64_t n);

}  // namespace missingu::ode::cpu
