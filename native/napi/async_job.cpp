#include "napi/async_job.h"

#include <memory>
#include <utility>

#include "napi/errors.h"
#include "napi/job_control.h"
#include "runtime/compute_thread.h"

namespace missingu {
namespace {

class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(Napi::Env env, NativeJob job, JsResult finish, std::string errorPrefix, std::shared_ptr<JobControl> control)
      : Napi::AsyncWorker(env),
        deferred_(env),
        job_(std::move(job)),
        finish_(std::move(finish)),
        errorPrefix_(std::move(errorPrefix)),
        control_(std::move(control)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      ComputeThread::instance().run(job_);
    } catch (...) {
      error_ = errorPrefix_ + currentExceptionMessage();
      code_ = currentErrorCode();
      failed_ = true;
    }
  }

  void OnOK() override {
    const Napi::Env env = Env();
    bool rejected = failed_;
    Napi::Value outcome;
    if (failed_) {
      outcome = jsError(env, error_, code_).Value();
    } else {
      try {
        outcome = finish_(env);
      } catch (const Napi::Error& e) {
        outcome = e.Value();
        rejected = true;
      }
    }
    auto kept = std::make_shared<Napi::Reference<Napi::Value>>(Napi::Persistent(outcome));
    auto settle = [deferred = deferred_, kept, rejected](Napi::Env) {
      rejected ? deferred.Reject(kept->Value()) : deferred.Resolve(kept->Value());
      kept->Reset();
    };
    if (control_) {
      control_->finish(env, settle);
    } else {
      settle(env);
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  NativeJob job_;
  JsResult finish_;
  std::string errorPrefix_;
  std::shared_ptr<JobControl> control_;
  std::string error_;
  ErrorCode code_ = ErrorCode::Internal;
  bool failed_ = false;
};

}  // namespace

Napi::Promise runAsync(Napi::Env env, NativeJob job, JsResult finish, std::string errorPrefix,
                       std::shared_ptr<JobControl> control) {
  auto worker =
      std::make_unique<JobWorker>(env, std::move(job), std::move(finish), std::move(errorPrefix), std::move(control));
  const Napi::Promise promise = worker->promise();
  worker->Queue();
  worker.release();  // a queued AsyncWorker deletes itself when it completes
  return promise;
}

void runOnComputeThread(const NativeJob& job) { ComputeThread::instance().run(job); }

}  // namespace missingu
