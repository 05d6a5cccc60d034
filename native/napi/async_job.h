#pragma once
// Long native work off the event loop: the job runs on the compute thread (runtime/compute_thread.h)
// while a libuv worker waits for it; the promise resolves on the JS thread with finish(env), or
// rejects with errorPrefix + the job's exception message.
#include <napi.h>

#include <functional>
#include <memory>
#include <string>

namespace missingu {

using NativeJob = std::function<void()>;
using JsResult = std::function<Napi::Value(Napi::Env)>;

class JobControl;

// With a JobControl, the promise settles after the job's last progress report has been delivered.
Napi::Promise runAsync(Napi::Env env, NativeJob job, JsResult finish, std::string errorPrefix = "",
                       std::shared_ptr<JobControl> control = nullptr);

// Runs `job` on the compute thread and waits (for short synchronous calls that still compute).
void runOnComputeThread(const NativeJob& job);

}  // namespace missingu
