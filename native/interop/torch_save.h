#pragma once
// Files written by Python's torch.save (the zip format of PyTorch >= 1.6), read with libtorch's own
// unpickler: no Python runs, and only what that unpickler knows is accepted (tensors, dicts, lists,
// tuples, numbers, strings, None); any other pickled object is refused, never constructed.
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <string>

namespace missingu::interop {

// The largest torch.save file read (it is read whole into memory): 16 GiB.
inline constexpr uint64_t kMaxTorchSaveBytes = uint64_t{16} << 30;

// The file's top-level object. CodedError (runtime/error_code.h) names the path: File when it is
// missing, not a regular file or too large; Format when it is not a torch.save zip archive or its
// pickle holds something libtorch cannot read.
c10::IValue readTorchSave(const std::string& path);

}  // namespace missingu::interop
