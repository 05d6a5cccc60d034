// The addon's entry point: registers each binding's exports. Only native/napi knows N-API.
#include <napi.h>

#include "napi/addon_data.h"
#include "napi/build_info.h"
#include "napi/runtime.h"
#include "napi/script_module.h"
#include "napi/tensor.h"

namespace missingu {

AddonData& addonData(const Napi::Env& env) { return *env.GetInstanceData<AddonData>(); }

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto data = std::make_unique<AddonData>();
  Napi::Function tensorClass = TensorWrap::defineClass(env);
  Napi::Function scriptModuleClass = ScriptModuleWrap::defineClass(env);
  data->tensorClass = Napi::Persistent(tensorClass);
  data->scriptModuleClass = Napi::Persistent(scriptModuleClass);
  env.SetInstanceData(data.release());  // owned and deleted by the environment

  exports.Set("Tensor", tensorClass);
  exports.Set("ScriptModule", scriptModuleClass);
  exports.Set("sourceHash", Napi::String::New(env, sourceHash()));
  exports.Set("info", Napi::Function::New<info>(env, "info"));
  exports.Set("setNumThreads", Napi::Function::New<setNumThreads>(env, "setNumThreads"));
  exports.Set("createTensor", Napi::Function::New<createTensor>(env, "createTensor"));
  exports.Set("jitLoad", Napi::Function::New<jitLoad>(env, "jitLoad"));
  return exports;
}

}  // namespace
}  // namespace missingu

static Napi::Object initAddon(Napi::Env env, Napi::Object exports) { return missingu::init(env, exports); }

NODE_API_MODULE(missing_u, initAddon)
