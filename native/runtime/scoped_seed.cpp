#include "runtime/scoped_seed.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

namespace missingu {

ScopedSeed::ScopedSeed(std::optional<uint64_t> seed) : generator_(at::detail::getDefaultCPUGenerator()) {
  if (!seed) return;
  const std::lock_guard<std::mutex> lock(generator_.mutex());
  saved_ = generator_.get_state();
  generator_.set_current_seed(*seed);
}

ScopedSeed::~ScopedSeed() {
  if (!saved_.defined()) return;
  const std::lock_guard<std::mutex> lock(generator_.mutex());
  generator_.set_state(saved_);
}

}  // namespace missingu
