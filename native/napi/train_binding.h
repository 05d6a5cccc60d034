#pragma once
#include <napi.h>

namespace missingu {

// trainRun(options, data, shape, onProgress, abortFlag, resume?) ->
//   Promise<{ model, ema, losses, stopped, state: { step, expAvg, expAvgSq, generator } }>
// resume: { model, ema, state } from an earlier run continues it exactly.
Napi::Value trainRun(const Napi::CallbackInfo& info);

}  // namespace missingu
