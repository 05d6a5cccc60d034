#include "napi/choices_binding.h"

#include <string>
#include <vector>

#include "diffusion/denoise.h"
#include "diffusion/objective.h"
#include "diffusion/schedule.h"
#include "diffusion/spacing.h"
#include "diffusion/steps.h"
#include "metrics/features.h"
#include "models/activation.h"
#include "models/cunet_choices.h"
#include "ode/tableau.h"
#include "runtime/dtype_names.h"
#include "runtime/precision.h"

namespace missingu {
namespace {

Napi::Array stringArray(Napi::Env env, const std::vector<std::string>& names) {
  Napi::Array out = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
  return out;
}

}  // namespace

Napi::Value choices(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("samplers", stringArray(env, diffusion::samplerNames()));
  out.Set("spacings", stringArray(env, diffusion::spacingNames()));
  out.Set("schedules", stringArray(env, diffusion::scheduleNames()));
  out.Set("objectives", stringArray(env, diffusion::objectiveNames()));
  out.Set("precisions", stringArray(env, precisionNames()));
  out.Set("norms", stringArray(env, models::normNames()));
  out.Set("activations", stringArray(env, models::activationNames()));
  out.Set("couplings", stringArray(env, models::couplingNames()));
  out.Set("odeMethods", stringArray(env, ode::methodNames()));
  out.Set("dtypes", stringArray(env, dtypeNames().names()));
  out.Set("ddpmVariances", stringArray(env, diffusion::ddpmVarianceNames()));
  out.Set("traceKinds", stringArray(env, diffusion::traceKindNames()));
  out.Set("inputRanges", stringArray(env, metrics::inputRangeNames()));
  return out;
}

}  // namespace missingu
