#pragma once
// torchLoad: a torch.save file as plain JS values, read off the event loop.
#include <napi.h>

namespace missingu {

// torchLoad(path: string): Promise<TorchValue>: dicts become objects (integer keys as strings),
// lists and tuples arrays, tensors float32 CPU Tensors, numbers, booleans, strings and None (null).
Napi::Value torchLoad(const Napi::CallbackInfo& info);

}  // namespace missingu
