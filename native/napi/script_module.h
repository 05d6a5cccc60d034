#pragma once
#include <napi.h>

#include <torch/csrc/jit/api/module.h>

#include <c10/core/Device.h>

#include <optional>
#include <string>

namespace missingu {

// A TorchScript module loaded with jit.load. forward(...) runs on a libuv worker thread and
// resolves to a Tensor; inputs are checked against the module's forward schema first.
class ScriptModuleWrap : public Napi::ObjectWrap<ScriptModuleWrap> {
 public:
  static Napi::Function defineClass(Napi::Env env);
  // The module that `value` holds; a TypeError naming `what` when it is not a live ScriptModule.
  static torch::jit::Module unwrap(const Napi::Value& value, const std::string& what);

  explicit ScriptModuleWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value invoke(const Napi::CallbackInfo& info, const std::string& name, size_t first);
  Napi::Value forward(const Napi::CallbackInfo& info);
  // call(method, ...inputs): any method of the module, checked against its schema as forward is.
  Napi::Value call(const Napi::CallbackInfo& info);
  Napi::Value device(const Napi::CallbackInfo& info);
  Napi::Value signature(const Napi::CallbackInfo& info);
  void dispose(const Napi::CallbackInfo& info);
  const torch::jit::Module& live(const Napi::Env& env) const;

  std::optional<torch::jit::Module> module_;
  c10::Device device_{c10::kCPU};
};

}  // namespace missingu
