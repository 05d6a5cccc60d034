#pragma once
// softplus with autograd: native/kernels/softplus_cpu for contiguous float32 / bfloat16 CPU tensors,
// at::softplus for everything else (CUDA, other dtypes, strided views).
#include <ATen/core/Tensor.h>

namespace missingu::kernels {

at::Tensor softplus(const at::Tensor& x);

}  // namespace missingu::kernels
