#include "napi/job_control.h"

#include <atomic>
#include <utility>

#include "napi/errors.h"

namespace missingu {

JobControl::JobControl(const Napi::Env& env, const Napi::Value& onProgress, const Napi::Value& abortFlag) {
  if (onProgress.IsFunction()) {
    progress_ = Napi::ThreadSafeFunction::New(env, onProgress.As<Napi::Function>(), "missing-u progress", 0, 1);
    hasProgress_ = true;
  } else if (!onProgress.IsUndefined() && !onProgress.IsNull()) {
    throwTypeError(env, "onProgress must be a function");
  }
  if (abortFlag.IsTypedArray() && abortFlag.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    auto flag = abortFlag.As<Napi::Int32Array>();
    flagReference_ = Napi::Persistent(flag.As<Napi::Object>());
    flag_ = flag.Data();
  }
}

bool JobControl::aborted() const {
  if (flag_ == nullptr) return false;
  return std::atomic_ref<int32_t>(*flag_).load(std::memory_order_relaxed) != 0;
}

void JobControl::report(std::function<void(Napi::Env, Napi::Function)> call) {
  if (!hasProgress_) return;
  progress_.NonBlockingCall([call = std::move(call)](Napi::Env env, Napi::Function fn) {
    try {
      call(env, fn);
    } catch (const Napi::Error&) {
      // The TypeScript wrapper catches its callback's errors itself; nothing here may reach the event loop.
    }
  });
}

void JobControl::finish(Napi::Env env, std::function<void(Napi::Env)> done) {
  if (!flagReference_.IsEmpty()) flagReference_.Reset();
  flag_ = nullptr;
  if (!hasProgress_) {
    done(env);
    return;
  }
  // Queued behind the reports, so onProgress has seen the last step when the promise settles.
  progress_.NonBlockingCall([done = std::move(done)](Napi::Env e, Napi::Function) { done(e); });
  progress_.Release();
  hasProgress_ = false;
}

}  // namespace missingu
