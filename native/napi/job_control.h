#pragma once
// Progress and cancellation for long native jobs: progress is queued to a JS callback without
// blocking the job; an Int32Array(1) set to 1 by the JS side (on AbortSignal 'abort') stops it.
#include <napi.h>

#include <functional>

namespace missingu {

class JobControl {
 public:
  // onProgress: a function or undefined; abortFlag: an Int32Array of length >= 1, or undefined.
  JobControl(const Napi::Env& env, const Napi::Value& onProgress, const Napi::Value& abortFlag);
  JobControl(const JobControl&) = delete;
  JobControl& operator=(const JobControl&) = delete;

  // Any thread: has the JS side asked to stop?
  bool aborted() const;
  // Any thread: runs `call(env, onProgress)` on the JS thread, later; dropped without a callback.
  void report(std::function<void(Napi::Env, Napi::Function)> call);
  // JS thread, once the job has finished: runs `done` after every report queued so far (in order),
  // then lets go of the callback and the abort flag.
  void finish(Napi::Env env, std::function<void(Napi::Env)> done);

 private:
  Napi::ThreadSafeFunction progress_;
  bool hasProgress_ = false;
  Napi::ObjectReference flagReference_;
  int32_t* flag_ = nullptr;
};

}  // namespace missingu
