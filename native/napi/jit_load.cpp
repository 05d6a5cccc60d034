#include "napi/jit_load.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/import.h>

#include "interop/archive_check.h"

#include "napi/addon_data.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "runtime/device.h"

#include <filesystem>
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

// Runs on the compute thread; errors carry the file and a code ('file', 'format').
torch::jit::Module load(const LoadRequest& request) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(request.path, ec)) {
    throw CodedError(ErrorCode::File, "TorchScript file not found: " + request.path);
  }
  const auto corrupt = [&request](const std::string& why) {
    return CodedError(ErrorCode::Format, "cannot load TorchScript file " + request.path +
                                             ": it is corrupt or not a torch.jit.save archive (" + why + ")");
  };
  torch::jit::Module module;
  try {
    {
      caffe2::serialize::PyTorchStreamReader archive(request.path);
      interop::checkScriptArchive(archive, request.path);
    }
    module = torch::jit::load(request.path, request.device);
  } catch (const CodedError&) {
    throw;
  } catch (const c10::Error& e) {
    throw corrupt(e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw corrupt(e.what());
  }
  if (!module.find_method("forward")) {
    throw CodedError(ErrorCode::Format, "TorchScript module in " + request.path + " has no forward method");
  }
  module.eval();
  return module;
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
    runOnComputeThread([&] { module = load(request); });
    return wrap(env, module, request.device);
  });
}

Napi::Value jitLoadAsync(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    auto request = std::make_shared<LoadRequest>(readArguments(info));
    auto module = std::make_shared<torch::jit::Module>();
    return runAsync(
        env, [request, module] { *module = load(*request); },
        [request, module](Napi::Env e) -> Napi::Value { return wrap(e, *module, request->device); });
  });
}

}  // namespace missingu
