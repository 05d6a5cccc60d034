#pragma once
// The fused Runge-Kutta stage update on CUDA tensors. Compiled only in the CUDA build
// (MISSING_U_WITH_CUDA); plain C++ so that ode/stage_update.cpp can include it.
#include <ATen/core/Tensor.h>

#include <cstddef>
#include <vector>

namespace missingu::cuda {

// The most terms one launch takes: their pointers and coefficients travel by value in the kernel's arguments.
constexpr size_t kMaxStageTerms = 16;

// True when stageUpdate() applies: y and every k contiguous, of one shape and dtype (float, double,
// half or bfloat16) on one CUDA device, and at most kMaxStageTerms ks.
bool stageUpdateSupported(const at::Tensor& y, const std::vector<at::Tensor>& ks);

// y + sum_i coefs[i] * ks[i] in one grid-stride pass on the current stream, accumulated in float
// (double for double tensors). No autograd: ode/stage_update.cpp wraps it.
at::Tensor stageUpdate(const at::Tensor& y, const std::vector<at::Tensor>& ks, const std::vector<double>& coefs);

}  // namespace missingu::cuda
