#pragma once
// The Runge-Kutta stage combination y + sum_i c_i k_i, fused into one pass over memory.
#include <ATen/core/Tensor.h>

#include <vector>

namespace missingu::ode {

// y + sum_i coefs[i] * ks[i]. On CPU float32 contiguous tensors one vectorised, multi-threaded pass;
// in the CUDA build, on contiguous CUDA float/double/half/bfloat16 tensors one kernel launch
// (cuda/stage_update_cuda.h); either with its own backward under autograd. Elsewhere the same result
// from a chain of torch ops. Terms whose coefficient is zero are skipped.
at::Tensor stageUpdate(const at::Tensor& y, const std::vector<at::Tensor>& ks, const std::vector<double>& coefs);

// The same sum as a chain of torch ops (one pass over memory per term), the reference the fused
// kernel is measured against.
at::Tensor stageUpdateUnfused(const at::Tensor& y, const std::vector<at::Tensor>& ks, const std::vector<double>& coefs);

// sum over elements of (sum_i coefs[i] ks[i] / (atol + rtol * max(|y0|, |y1|)))^2, as a 0-dim
// double tensor on y0's device (so that callers can add components before one host read).
at::Tensor scaledErrorSumOfSquares(const at::Tensor& y0, const at::Tensor& y1, const std::vector<at::Tensor>& ks,
                                   const std::vector<double>& coefs, double rtol, double atol);

}  // namespace missingu::ode
