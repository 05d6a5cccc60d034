#pragma once
#include <napi.h>

namespace missingu {

// diffusionSample(denoiser, options, onProgress, abortFlag) -> Promise<{ samples, stepsDone, stopped }>
Napi::Value diffusionSample(const Napi::CallbackInfo& info);
// diffusionDenoise(denoiser, x0, options, onProgress, abortFlag) -> Promise<{ noisy, trace, stopped }>
Napi::Value diffusionDenoise(const Napi::CallbackInfo& info);
// diffusionSchedule(kind, T) -> { betas: Float64Array, alphasCumprod: Float64Array }
Napi::Value diffusionSchedule(const Napi::CallbackInfo& info);
// diffusionQSample(x0, t, noise, options) -> x_t
Napi::Value diffusionQSample(const Napi::CallbackInfo& info);
// randn(shape, seed) -> what torch.manual_seed(seed); torch.randn(shape) gives
Napi::Value seededRandn(const Napi::CallbackInfo& info);

}  // namespace missingu
