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
// diffusionReverseSteps(T, count, spacing, sampler) -> { timesteps, previous }: the steps a reverse
// process of `count` steps over T visits, in the order it visits them, and where each one lands (-1:
// the clean image)
Napi::Value diffusionReverseSteps(const Napi::CallbackInfo& info);
// diffusionTimestepTensor(t, x) -> (B,) int64 filled with t on x's device: what the loop gives the denoiser
Napi::Value diffusionTimestepTensor(const Napi::CallbackInfo& info);
// diffusionStep(output, t, tPrev, x, noise?, generator?, options) -> { prev, x0 }: one sampler update;
// noise, when the step adds some, is `noise` or else the generator's next draw
Napi::Value diffusionStep(const Napi::CallbackInfo& info);

}  // namespace missingu
