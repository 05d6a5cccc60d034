#pragma once
// What libtorch's unpickler would build from a pickle of a PyTorch zip archive (torch.save's data.pkl,
// torch.jit.save's data.pkl and constants.pkl), worked out on a model of its stack before it runs:
// libtorch trusts a pickle's storage sizes, offsets and strides, and its stack, MARK and memo
// handling reads out of bounds on a malformed one, so a crafted file could crash the process.
#include <cstdint>
#include <string>
#include <vector>

namespace missingu::interop {

// Deeper nesting is refused: libtorch frees nested values recursively.
inline constexpr int kMaxPickleNesting = 1000;

// A tensor storage the pickle refers to: the persistent id ('storage', torch.<Dtype>Storage, key,
// location, numel), its bytes in the archive's record <tensor folder>/<key>.
struct StorageRef {
  std::string key;
  std::string dtype;  // "Float" for torch.FloatStorage
  int64_t numel = 0;
  int64_t itemSize = 0;
};

// Every storage the pickle refers to, in order, for the caller to check against its record.
// CodedError(Format) naming `what` for a pickle that pops below its stack or its last MARK, needs a
// MARK that is not there, gives SETITEMS an odd count, uses a memo entry never set or an index past
// the pickle's size, nests deeper than kMaxPickleNesting, calls something that is not a global,
// refers to a storage other than by that 5-tuple (an unknown or quantized dtype refused by name),
// builds a tensor whose offset, sizes and strides reach past its storage's numel, or uses a tensor
// rebuild other than torch._utils._rebuild_tensor_v2 and _rebuild_parameter (dense tensors only).
std::vector<StorageRef> pickleStorages(const char* data, size_t size, const std::string& what);

}  // namespace missingu::interop
