// The addon's entry point: registers each binding's exports. Only native/napi knows N-API.
#include <napi.h>

#include "napi/addon_data.h"
#include "napi/build_info.h"
#include "napi/choices_binding.h"
#include "napi/data_binding.h"
#include "napi/diffusion_binding.h"
#include "napi/errors.h"
#include "napi/generator.h"
#include "napi/jit_load.h"
#include "napi/kernels_binding.h"
#include "napi/metrics_binding.h"
#include "napi/model_binding.h"
#include "napi/objective_binding.h"
#include "napi/ode_binding.h"
#include "napi/runtime_binding.h"
#include "napi/script_module.h"
#include "napi/tensor.h"
#include "napi/torch_file_binding.h"
#include "napi/train_binding.h"
#include "runtime/cpu_caching_allocator.h"
#include "runtime/nnpack.h"

#include <cstdlib>
#include <string>

namespace missingu {

AddonData& addonData(const Napi::Env& env) { return *env.GetInstanceData<AddonData>(); }

std::optional<Napi::Symbol> disposeSymbol(const Napi::Env& env) {
  const Napi::Value symbol = env.Global().Get("Symbol").As<Napi::Object>().Get("dispose");
  if (!symbol.IsSymbol()) return std::nullopt;
  return symbol.As<Napi::Symbol>();
}

namespace {

// MISSING_U_CPU_ALLOCATOR=system keeps libtorch's own allocator; MISSING_U_CPU_CACHE_MB caps the cache.
void installCpuAllocator() {
  const char* choice = std::getenv("MISSING_U_CPU_ALLOCATOR");
  if (choice != nullptr && std::string(choice) == "system") return;
  const char* cap = std::getenv("MISSING_U_CPU_CACHE_MB");
  const size_t megabytes = cap != nullptr ? std::strtoull(cap, nullptr, 10) : 1024;
  CpuCachingAllocator::install(megabytes << 20);
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  installCpuAllocator();
  settleNnpack();
  auto data = std::make_unique<AddonData>();
  Napi::Function tensorClass = TensorWrap::defineClass(env);
  Napi::Function scriptModuleClass = ScriptModuleWrap::defineClass(env);
  data->tensorClass = Napi::Persistent(tensorClass);
  data->scriptModuleClass = Napi::Persistent(scriptModuleClass);
  Napi::Function modelClass = ModelWrap::defineClass(env);
  data->modelClass = Napi::Persistent(modelClass);
  Napi::Function generatorClass = GeneratorWrap::defineClass(env);
  data->generatorClass = Napi::Persistent(generatorClass);
  env.SetInstanceData(data.release());  // owned and deleted by the environment

  exports.Set("Tensor", tensorClass);
  exports.Set("ScriptModule", scriptModuleClass);
  exports.Set("Model", modelClass);
  exports.Set("Generator", generatorClass);
  exports.Set("modelsCreate", Napi::Function::New<modelsCreate>(env, "modelsCreate"));
  exports.Set("modelsPresets", Napi::Function::New<modelsPresets>(env, "modelsPresets"));
  exports.Set("choices", Napi::Function::New<choices>(env, "choices"));
  exports.Set("modelsCheckImageSize", Napi::Function::New<modelsCheckImageSize>(env, "modelsCheckImageSize"));
  exports.Set("diffusionSample", Napi::Function::New<diffusionSample>(env, "diffusionSample"));
  exports.Set("diffusionDenoise", Napi::Function::New<diffusionDenoise>(env, "diffusionDenoise"));
  exports.Set("trainRun", Napi::Function::New<trainRun>(env, "trainRun"));
  exports.Set("dataDrawBatch", Napi::Function::New<dataDrawBatch>(env, "dataDrawBatch"));
  exports.Set("diffusionSchedule", Napi::Function::New<diffusionSchedule>(env, "diffusionSchedule"));
  exports.Set("diffusionQSample", Napi::Function::New<diffusionQSample>(env, "diffusionQSample"));
  exports.Set("randn", Napi::Function::New<seededRandn>(env, "randn"));
  exports.Set("diffusionReverseSteps", Napi::Function::New<diffusionReverseSteps>(env, "diffusionReverseSteps"));
  exports.Set("diffusionTimestepTensor", Napi::Function::New<diffusionTimestepTensor>(env, "diffusionTimestepTensor"));
  exports.Set("diffusionStep", Napi::Function::New<diffusionStep>(env, "diffusionStep"));
  exports.Set("diffusionTarget", Napi::Function::New<diffusionTarget>(env, "diffusionTarget"));
  exports.Set("diffusionLossWeights", Napi::Function::New<diffusionLossWeights>(env, "diffusionLossWeights"));
  exports.Set("sourceHash", Napi::String::New(env, sourceHash()));
  exports.Set("info", Napi::Function::New<info>(env, "info"));
  exports.Set("setNumThreads", Napi::Function::New<setNumThreads>(env, "setNumThreads"));
  exports.Set("createTensor", Napi::Function::New<createTensor>(env, "createTensor"));
  exports.Set("jitLoad", Napi::Function::New<jitLoad>(env, "jitLoad"));
  exports.Set("jitLoadAsync", Napi::Function::New<jitLoadAsync>(env, "jitLoadAsync"));
  exports.Set("torchLoad", Napi::Function::New<torchLoad>(env, "torchLoad"));
  exports.Set("setErrorClass", Napi::Function::New<setErrorClass>(env, "setErrorClass"));
  exports.Set("odeSolve", Napi::Function::New<odeSolve>(env, "odeSolve"));
  exports.Set("odeStageUpdate", Napi::Function::New<odeStageUpdate>(env, "odeStageUpdate"));
  exports.Set("kernelSoftplus", Napi::Function::New<kernelSoftplus>(env, "kernelSoftplus"));
  exports.Set("metricsSsim", Napi::Function::New<metricsSsim>(env, "metricsSsim"));
  exports.Set("metricsPsnr", Napi::Function::New<metricsPsnr>(env, "metricsPsnr"));
  exports.Set("metricsFeatureStats", Napi::Function::New<metricsFeatureStats>(env, "metricsFeatureStats"));
  exports.Set("metricsFeatures", Napi::Function::New<metricsFeatures>(env, "metricsFeatures"));
  exports.Set("metricsFrechet", Napi::Function::New<metricsFrechet>(env, "metricsFrechet"));
  exports.Set("metricsLpips", Napi::Function::New<metricsLpips>(env, "metricsLpips"));
  exports.Set("memoryStats", Napi::Function::New<memoryStats>(env, "memoryStats"));
  exports.Set("resetPeakMemory", Napi::Function::New<resetPeakMemory>(env, "resetPeakMemory"));
  return exports;
}

}  // namespace
}  // namespace missingu

static Napi::Object initAddon(Napi::Env env, Napi::Object exports) { return missingu::init(env, exports); }

NODE_API_MODULE(missing_u, initAddon)
