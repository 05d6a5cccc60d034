#pragma once
#include <napi.h>

namespace missingu {

// diffusionTarget(x0, noise, t, { objective, schedule, diffusionSteps }) -> what the network is trained
// to output at (x_t, t): eps, x_0 or v
Napi::Value diffusionTarget(const Napi::CallbackInfo& info);
// diffusionLossWeights(t, { objective, snrWeighting, minSnrGamma, schedule, diffusionSteps }) -> Float64Array
// of the per-sample loss weights the trainer uses
Napi::Value diffusionLossWeights(const Napi::CallbackInfo& info);

}  // namespace missingu
