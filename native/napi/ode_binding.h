#pragma once
#include <napi.h>

namespace missingu {

// odeSolve({ f, order, state, s0, s1, method, steps, rtol, atol, maxSteps, gradient, outputGrads })
// -> Promise<{ state, stats, backwardStats?, grads? }>, solved on a worker thread.
Napi::Value odeSolve(const Napi::CallbackInfo& info);

// odeStageUpdate(y, ks, coefs, fused) -> y + sum_i coefs[i] ks[i] (fused kernel or torch-op chain).
Napi::Value odeStageUpdate(const Napi::CallbackInfo& info);

}  // namespace missingu
