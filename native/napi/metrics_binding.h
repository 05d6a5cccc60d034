#pragma once
#include <napi.h>

namespace missingu {

// metricsSsim(a, b, { dataRange }) -> Promise<Float64Array> (one SSIM per image)
Napi::Value metricsSsim(const Napi::CallbackInfo& info);
// metricsPsnr(a, b, { dataRange }) -> Promise<Float64Array> (one PSNR per image, +inf when identical)
Napi::Value metricsPsnr(const Napi::CallbackInfo& info);
// metricsFeatureStats(module, images, { batchSize, inputRange, size, channels }, onProgress, abortFlag)
//   -> Promise<{ count, dim, mean: Float64Array, covariance: Float64Array, stopped }>
Napi::Value metricsFeatureStats(const Napi::CallbackInfo& info);
// metricsFeatures(module, images, { batchSize, inputRange, size, channels }) -> Promise<Tensor> (N, D) float32
Napi::Value metricsFeatures(const Napi::CallbackInfo& info);
// metricsFrechet(mean1, covariance1, mean2, covariance2) (Float64Arrays, covariances row-major) -> number
Napi::Value metricsFrechet(const Napi::CallbackInfo& info);
// metricsLpips(module, a, b, { batchSize }) -> Promise<Float64Array> (one LPIPS per image pair)
Napi::Value metricsLpips(const Napi::CallbackInfo& info);

}  // namespace missingu
