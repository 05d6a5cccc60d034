#pragma once
// softplus with autograd: native/kernels/softplus_cpu for contiguous float32 / bfloat16 CPU tensors,
// at::softplus for everything else (CUDA, other dtypes, strided views).
#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

namespace missingu::kernels {

at::Tensor softplus(const at::Tensor& x);

struct SoftplusPass {
  at::Tensor y, dx;  // float32
};

// softplus of x and the gradient dy carries back through it, both computed in `dtype`: with this
// kernel (fused) or with at::softplus, to compare the two.
SoftplusPass softplusPass(const at::Tensor& x, const at::Tensor& dy, bool fused, at::ScalarType dtype);

}  // namespace missingu::kernels
