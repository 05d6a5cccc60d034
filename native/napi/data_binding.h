#pragma once
#include <napi.h>

namespace missingu {

// dataDrawBatch(dataset, shape, { n, seed, horizontalFlip }) -> Tensor (n, C, H, W) in [-1, 1]: the first
// batch a training run with this seed and batch size n draws (rows, then flips), as it would train on it.
Napi::Value dataDrawBatch(const Napi::CallbackInfo& info);

}  // namespace missingu
