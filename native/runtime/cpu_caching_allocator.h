#pragma once
// A CPU allocator that keeps freed blocks for reuse by the next allocation of the same size.
//
// Why: libtorch's default CPU allocator uses posix_memalign, and glibc (2.36) never reuses an exactly
// sized hole for an aligned request. When JS wrappers (freed only when the GC's finalizers run)
// sit between tensor buffers, a loop that creates and disposes tensors grows the heap by one buffer
// per step. Reusing same-size blocks keeps resident memory flat and saves page faults in training
// loops, which allocate the same shapes every step.
#include <c10/core/Allocator.h>

#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace missingu {

class CpuCachingAllocator final : public c10::Allocator {
 public:
  explicit CpuCachingAllocator(size_t maxCachedBytes);

  c10::DataPtr allocate(size_t nbytes) override;
  c10::DeleterFnPtr raw_deleter() const override;
  void copy_data(void* dest, const void* src, size_t count) const override;

  struct Stats {
    size_t allocatedBytes;  // in live tensors
    size_t peakAllocatedBytes;
    size_t cachedBytes;  // freed, kept for reuse
  };
  Stats stats() const;
  // Starts a new peak measurement from the bytes allocated now.
  void resetPeak();
  // Frees every cached block back to the system.
  void releaseCached();

  // The installed instance, or nullptr when libtorch's own allocator is in use.
  static CpuCachingAllocator* installed();

  // Installs a process-lifetime instance as libtorch's CPU allocator (once); returns it.
  static CpuCachingAllocator& install(size_t maxCachedBytes);

 private:
  static void deallocate(void* data);
  void recycle(void* data);

  const size_t maxCachedBytes_;
  mutable std::mutex mutex_;
  size_t cachedBytes_ = 0;
  size_t allocatedBytes_ = 0;
  size_t peakAllocatedBytes_ = 0;
  std::unordered_map<void*, size_t> liveSizes_;
  std::unordered_map<size_t, std::vector<void*>> freeBySize_;
};

}  // namespace missingu
