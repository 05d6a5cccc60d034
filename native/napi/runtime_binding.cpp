#include "napi/runtime_binding.h"

#include <ATen/Parallel.h>
#include <torch/headeronly/version.h>

#include "napi/async_job.h"
#include "napi/build_info.h"
#include "napi/errors.h"
#include "runtime/cpu_caching_allocator.h"
#include "runtime/device.h"
#include "runtime/nnpack.h"
#include "runtime/precision.h"

namespace missingu {

Napi::Value info(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    Napi::Object out = Napi::Object::New(env);
    out.Set("torch", TORCH_VERSION);
    out.Set("cuda", cudaCompiledIn() && cudaDeviceCount() > 0);
    out.Set("cudaDeviceCount", cudaCompiledIn() ? cudaDeviceCount() : 0);
    int threads = 0;
    runOnComputeThread([&] { threads = at::get_num_threads(); });  // where the work runs
    out.Set("threads", threads);
    out.Set("nnpack", nnpackEnabled());
    Napi::Array cpuPrecisions = Napi::Array::New(env);
    for (const Precision p : {Precision::Fp32, Precision::Bf16, Precision::Fp16}) {
      if (precisionProblem(p, c10::Device(c10::kCPU)).empty())
        cpuPrecisions.Set(cpuPrecisions.Length(), precisionName(p));
    }
    out.Set("cpuPrecisions", cpuPrecisions);
    Napi::Object build = Napi::Object::New(env);
    for (const auto& [key, value] : buildFlags()) build.Set(key, value);
    out.Set("build", build);
    return out;
  });
}

void setNumThreads(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const double n = info.Length() == 1 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  if (!(n >= 1 && n <= 1024) || n != static_cast<double>(static_cast<int>(n))) {
    throw Napi::RangeError::New(env, "setNumThreads(n) needs an integer n between 1 and 1024");
  }
  rethrowAsJs(env, [&] { runOnComputeThread([&] { at::set_num_threads(static_cast<int>(n)); }); });
}

Napi::Value memoryStats(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const CpuCachingAllocator* allocator = CpuCachingAllocator::installed();
  if (allocator == nullptr) return env.Null();
  const CpuCachingAllocator::Stats stats = allocator->stats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("allocated", static_cast<double>(stats.allocatedBytes));
  out.Set("peakAllocated", static_cast<double>(stats.peakAllocatedBytes));
  out.Set("cached", static_cast<double>(stats.cachedBytes));
  return out;
}

void resetPeakMemory(const Napi::CallbackInfo&) {
  if (CpuCachingAllocator* allocator = CpuCachingAllocator::installed()) allocator->resetPeak();
}

}  // namespace missingu
