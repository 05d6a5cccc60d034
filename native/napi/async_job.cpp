#include "napi/async_job.h"

#include <memory>
#include <utility>

#include "napi/errors.h"
#include "runtime/compute_thread.h"

namespace missingu {
namespace {

class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(Napi::Env env, NativeJob job, JsResult finish, std::string errorPrefix, std::function<void()> settled)
      : Napi::AsyncWorker(env),
        deferred_(env),
        job_(std::move(job)),
        finish_(std::move(finish)),
        errorPrefix_(std::move(errorPrefix)),
        settled_(std::move(settled)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      ComputeThread::instance().run(job_);
    } catch (...) {
      error_ = errorPrefix_ + currentExceptionMessage();
      failed_ = true;
    }
  }

  void OnOK() override {
    if (settled_) settled_();
    if (failed_) {
      deferred_.Reject(Napi::Error::New(Env(), error_).Value());
      return;
    }
    try {
      deferred_.Resolve(finish_(Env()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  NativeJob job_;
  JsResult finish_;
  std::string errorPrefix_;
  std::function<void()> settled_;
  std::string error_;
  bool failed_ = false;
};

}  // namespace

Napi::Promise runAsync(Napi::Env env, NativeJob job, JsResult finish, std::string errorPrefix,
                       std::function<void()> settled) {
  auto worker =
      std::make_unique<JobWorker>(env, std::move(job), std::move(finish), std::move(errorPrefix), std::move(settled));
  const Napi::Promise promise = worker->promise();
  worker->Queue();
  worker.release();  // a queued AsyncWorker deletes itself when it completes
  return promise;
}

void runOnComputeThread(const NativeJob& job) { ComputeThread::instance().run(job); }

}  // namespace missingu
