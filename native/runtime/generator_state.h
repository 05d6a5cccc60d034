#pragma once
// A saved state of PyTorch's CPU generator, checked before a run restores it.
#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace missingu {

// A CPU generator state (the bytes at::Generator::get_state() gives in this libtorch) as a byte
// tensor; CodedError(Format) naming `what` when this libtorch cannot restore it: its size or its
// Mersenne Twister fields are wrong (a corrupt state, or one saved by another libtorch).
at::Tensor cpuGeneratorState(const uint8_t* bytes, size_t size, const std::string& what);

}  // namespace missingu
