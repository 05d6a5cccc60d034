#pragma once
#include <napi.h>

namespace missingu {

// kernelSoftplus(x, dy, fused, dtype) -> { y, dx }: softplus and its backward through native/kernels
// (fused) or ATen, computed in dtype ('float32' | 'bfloat16'), returned as float32: for tests.
Napi::Value kernelSoftplus(const Napi::CallbackInfo& info);

}  // namespace missingu
