#pragma once
#include <napi.h>

namespace missingu {

// info(): torch version, CUDA support, intra-op threads and build flags.
Napi::Value info(const Napi::CallbackInfo& info);
// setNumThreads(n): intra-op threads for every later native call.
void setNumThreads(const Napi::CallbackInfo& info);
// memoryStats(): { allocated, peakAllocated, cached } bytes of CPU tensor memory (null without the
// caching allocator).
Napi::Value memoryStats(const Napi::CallbackInfo& info);
// resetPeakMemory(): start a new peak measurement.
void resetPeakMemory(const Napi::CallbackInfo& info);

}  // namespace missingu
