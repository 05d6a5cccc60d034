#include "napi/script_module.h"

#include "interop/script_method.h"
#include "napi/addon_data.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/tensor.h"

#include <memory>
#include <stdexcept>
#include <vector>

namespace missingu {
namespace {

c10::IValue toIValue(const Napi::Value& value, const c10::Argument& argument, const std::string& method) {
  const std::string what = method + " argument '" + argument.name() + "'";
  const c10::TypePtr& type = argument.type();
  if (type->kind() == c10::TypeKind::TensorType) return TensorWrap::unwrap(value, what);
  if (type->kind() == c10::TypeKind::IntType && value.IsNumber()) {
    const double number = value.As<Napi::Number>().DoubleValue();
    if (number == static_cast<double>(static_cast<int64_t>(number))) return static_cast<int64_t>(number);
  }
  if (type->kind() == c10::TypeKind::FloatType && value.IsNumber()) return value.As<Napi::Number>().DoubleValue();
  if (type->kind() == c10::TypeKind::BoolType && value.IsBoolean()) return value.As<Napi::Boolean>().Value();
  throwTypeError(value.Env(), what + " must be of TorchScript type " + type->str());
}

}  // namespace

Napi::Function ScriptModuleWrap::defineClass(Napi::Env env) {
  std::vector<PropertyDescriptor> properties = {
      InstanceMethod<&ScriptModuleWrap::forward>("forward"),
      InstanceMethod<&ScriptModuleWrap::call>("call"),
      InstanceAccessor<&ScriptModuleWrap::device>("device"),
      InstanceAccessor<&ScriptModuleWrap::signature>("signature"),
      InstanceMethod<&ScriptModuleWrap::dispose>("dispose"),
  };
  if (const auto symbol = disposeSymbol(env)) {
    properties.push_back(InstanceMethod<&ScriptModuleWrap::dispose>(*symbol));
  }
  return DefineClass(env, "ScriptModule", properties);
}

ScriptModuleWrap::ScriptModuleWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ScriptModuleWrap>(info) {
  if (info.Length() != 2 || !info[0].IsExternal() || !info[1].IsString()) {
    throwTypeError(info.Env(), "ScriptModule cannot be constructed directly: use jit.load(path, { device })");
  }
  module_ = std::move(*info[0].As<Napi::External<torch::jit::Module>>().Data());
  device_ = c10::Device(info[1].As<Napi::String>().Utf8Value());
}

torch::jit::Module ScriptModuleWrap::unwrap(const Napi::Value& value, const std::string& what) {
  const Napi::Env env = value.Env();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(addonData(env).scriptModuleClass.Value())) {
    throwTypeError(env, what + " must be a ScriptModule (made with jit.load(path))");
  }
  const ScriptModuleWrap* self = Unwrap(value.As<Napi::Object>());
  if (!self->module_) throwTypeError(env, what + " is a disposed ScriptModule");
  return *self->module_;
}

const torch::jit::Module& ScriptModuleWrap::live(const Napi::Env& env) const {
  if (!module_)
    throw jsError(env, "this ScriptModule was disposed; it cannot be used after dispose()", ErrorCode::Option);
  return *module_;
}

Napi::Value ScriptModuleWrap::forward(const Napi::CallbackInfo& info) { return invoke(info, "forward", 0); }

Napi::Value ScriptModuleWrap::call(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throwTypeError(info.Env(), "call(method, ...inputs): method must be a method name");
  return invoke(info, info[0].As<Napi::String>().Utf8Value(), 1);
}

Napi::Value ScriptModuleWrap::invoke(const Napi::CallbackInfo& info, const std::string& name, size_t first) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const torch::jit::Module& module = live(env);
    const c10::FunctionSchema& schema = interop::methodSchema(module, name);
    const size_t given = info.Length() - first;
    interop::checkInputCount(schema, name, given);
    const auto& args = schema.arguments();  // args[0] is self
    std::vector<c10::IValue> inputs;
    for (size_t i = 0; i < given; ++i) inputs.push_back(toIValue(info[first + i], args[i + 1], name));
    auto output = std::make_shared<at::Tensor>();
    return runAsync(
        env,
        [module = torch::jit::Module(module), name, inputs = std::move(inputs), output]() mutable {
          *output = interop::callForTensor(module, name, std::move(inputs));
        },
        [output](Napi::Env e) -> Napi::Value { return TensorWrap::wrap(e, std::move(*output)); },
        "TorchScript " + name + " failed: ");
  });
}

Napi::Value ScriptModuleWrap::device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), device_.str());
}

Napi::Value ScriptModuleWrap::signature(const Napi::CallbackInfo& info) {
  return Napi::String::New(
      info.Env(), "forward(" + interop::describeArguments(interop::methodSchema(live(info.Env()), "forward")) + ")");
}

void ScriptModuleWrap::dispose(const Napi::CallbackInfo&) { module_.reset(); }

}  // namespace missingu
