#include "runtime/generator_state.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/empty.h>

#include <cstring>

#include "runtime/error_code.h"

namespace missingu {

at::Tensor cpuGeneratorState(const uint8_t* bytes, size_t size, const std::string& what) {
  at::Tensor state = at::empty({static_cast<int64_t>(size)}, at::TensorOptions().dtype(at::kByte));
  if (size > 0) std::memcpy(state.data_ptr(), bytes, size);
  at::Generator probe = at::make_generator<at::CPUGeneratorImpl>();
  const int64_t expected = probe.get_state().numel();
  try {
    probe.set_state(state);
  } catch (const c10::Error&) {
    throw CodedError(ErrorCode::Format, what + " is not a CPU generator state this libtorch can restore (" +
                                            std::to_string(size) + " bytes; its states are " +
                                            std::to_string(expected) +
                                            "): it is corrupt or was saved by another libtorch. Resume from a "
                                            "checkpoint this missing-u wrote, or start the run afresh");
  }
  return state;
}

}  // namespace missingu
