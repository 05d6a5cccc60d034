#include "napi/jit_load.h"

#include <torch/csrc/jit/api/module.h>

#include "interop/script_load.h"
#include "napi/addon_data.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "runtime/device.h"

#include <memory>
#include <string>

namespace missingu {
namespace {

struct LoadRequest {
  std::string path;
  c10::Device device{c10::kCPU};
};

LoadRequest readArguments(const Napi::CallbackInfo& info) {
  if (info.Length() != 2 || !info[0].IsString() || !info[1].IsString()) {
    throwTypeError(info.Env(), "jit.load(path, device) expects a file path and a device");
  }
  return {info[0].As<Napi::String>().Utf8Value(), resolveDevice(info[1].As<Napi::String>().Utf8Value())};
}

Napi::Value wrap(Napi::Env env, torch::jit::Module& module, const c10::Device& device) {
  return addonData(env).scriptModuleClass.New(
      {Napi::External<torch::jit::Module>::New(env, &module), Napi::String::New(env, device.str())});
}

}  // namespace

Napi::Value jitLoad(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const LoadRequest request = readArguments(info);
    torch::jit::Module module;
    runOnComputeThread([&] { module = interop::loadScript(request.path, request.device); });
    return wrap(env, module, request.device);
  });
}

Napi::Value jitLoadAsync(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    auto request = std::make_shared<LoadRequest>(readArguments(info));
    auto module = std::make_shared<torch::jit::Module>();
    return runAsync(
        env, [request, module] { *module = interop::loadScript(request->path, request->device); },
        [request, module](Napi::Env e) -> Napi::Value { return wrap(e, *module, request->device); });
  });
}

}  // namespace missingu
