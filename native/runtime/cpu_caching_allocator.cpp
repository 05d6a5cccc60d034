#include "runtime/cpu_caching_allocator.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <algorithm>
#include <memory>

namespace missingu {
namespace {

CpuCachingAllocator* instance = nullptr;

}  // namespace

CpuCachingAllocator::CpuCachingAllocator(size_t maxCachedBytes) : maxCachedBytes_(maxCachedBytes) {}

c10::DataPtr CpuCachingAllocator::allocate(size_t nbytes) {
  void* data = nullptr;
  if (nbytes > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto bucket = freeBySize_.find(nbytes);
    if (bucket != freeBySize_.end() && !bucket->second.empty()) {
      data = bucket->second.back();
      bucket->second.pop_back();
      cachedBytes_ -= nbytes;
    }
  }
  if (data == nullptr && nbytes > 0) data = c10::alloc_cpu(nbytes);
  if (data != nullptr) {
    std::lock_guard<std::mutex> lock(mutex_);
    liveSizes_.emplace(data, nbytes);
    allocatedBytes_ += nbytes;
    peakAllocatedBytes_ = std::max(peakAllocatedBytes_, allocatedBytes_);
  }
  return {data, data, &CpuCachingAllocator::deallocate, c10::Device(c10::kCPU)};
}

c10::DeleterFnPtr CpuCachingAllocator::raw_deleter() const { return &CpuCachingAllocator::deallocate; }

void CpuCachingAllocator::copy_data(void* dest, const void* src, size_t count) const {
  default_copy_data(dest, src, count);
}

void CpuCachingAllocator::deallocate(void* data) {
  if (data != nullptr) instance->recycle(data);
}

void CpuCachingAllocator::recycle(void* data) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto live = liveSizes_.find(data);
    const size_t size = live == liveSizes_.end() ? 0 : live->second;
    if (size > 0) liveSizes_.erase(live);
    allocatedBytes_ -= size;
    if (size > 0 && cachedBytes_ + size <= maxCachedBytes_) {
      freeBySize_[size].push_back(data);
      cachedBytes_ += size;
      return;
    }
  }
  c10::free_cpu(data);
}

void CpuCachingAllocator::releaseCached() {
  std::unordered_map<size_t, std::vector<void*>> blocks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    blocks.swap(freeBySize_);
    cachedBytes_ = 0;
  }
  for (auto& [size, list] : blocks) {
    for (void* data : list) c10::free_cpu(data);
  }
}

CpuCachingAllocator::Stats CpuCachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {allocatedBytes_, peakAllocatedBytes_, cachedBytes_};
}

void CpuCachingAllocator::resetPeak() {
  std::lock_guard<std::mutex> lock(mutex_);
  peakAllocatedBytes_ = allocatedBytes_;
}

CpuCachingAllocator* CpuCachingAllocator::installed() { return instance; }

CpuCachingAllocator& CpuCachingAllocator::install(size_t maxCachedBytes) {
  static CpuCachingAllocator& once = [maxCachedBytes]() -> CpuCachingAllocator& {
    // Never destroyed: tensors freed during static destruction at exit still call deallocate().
    instance = std::make_unique<CpuCachingAllocator>(maxCachedBytes).release();
    c10::SetCPUAllocator(instance, /*priority=*/1);
    return *instance;
  }();
  return once;
}

}  // namespace missingu
