#include "napi/script_module.h"

#include <ATen/core/grad_mode.h>
#include <torch/csrc/jit/serialization/import.h>

#include "napi/addon_data.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/tensor.h"

#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace missingu {
namespace {

const c10::FunctionSchema& methodSchema(const torch::jit::Module& module, const std::string& name) {
  const auto method = module.find_method(name);
  if (!method) throw std::invalid_argument("the TorchScript module has no method '" + name + "'");
  return method->function().getSchema();
}

// "x: Tensor, t: Tensor", without self.
std::string describeArguments(const c10::FunctionSchema& schema) {
  std::ostringstream out;
  const auto& args = schema.arguments();
  for (size_t i = 1; i < args.size(); ++i) {
    out << (i > 1 ? ", " : "") << args[i].name() << ": " << args[i].type()->str();
  }
  return out.str();
}

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

// The interpreter's message opens with a TorchScript traceback and ends with the cause; put the
// cause first so the JS error's first line says what went wrong.
std::string causeFirst(const std::string& message) {
  const size_t end = message.find_last_not_of("\n ");
  if (end == std::string::npos || message.rfind("The following operation failed", 0) != 0) return message;
  const size_t start = message.rfind('\n', end);
  return message.substr(start + 1, end - start) + "\n" + message;
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
    const c10::FunctionSchema& schema = methodSchema(module, name);
    const auto& args = schema.arguments();  // args[0] is self
    size_t required = 0;
    for (size_t i = 1; i < args.size(); ++i) required += args[i].default_value() ? 0 : 1;
    const size_t given = info.Length() - first;
    if (given < required || given > args.size() - 1) {
      throwTypeError(env, name + "(" + describeArguments(schema) + ") takes " + std::to_string(required) +
                              (required == args.size() - 1 ? "" : ".." + std::to_string(args.size() - 1)) +
                              " input(s) but was given " + std::to_string(given));
    }
    std::vector<c10::IValue> inputs;
    for (size_t i = 0; i < given; ++i) inputs.push_back(toIValue(info[first + i], args[i + 1], name));
    auto output = std::make_shared<at::Tensor>();
    return runAsync(
        env,
        [module = torch::jit::Module(module), name, inputs = std::move(inputs), output]() mutable {
          at::NoGradGuard noGrad;
          c10::IValue result;
          try {
            result = module.get_method(name)(std::move(inputs));
          } catch (...) {
            throw std::runtime_error(causeFirst(currentExceptionMessage()));
          }
          if (!result.isTensor()) {
            throw std::runtime_error("it returned " + result.tagKind() + "; missing-u expects a Tensor");
          }
          *output = result.toTensor();
        },
        [output](Napi::Env e) -> Napi::Value { return TensorWrap::wrap(e, std::move(*output)); },
        "TorchScript " + name + " failed: ");
  });
}

Napi::Value ScriptModuleWrap::device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), device_.str());
}

Napi::Value ScriptModuleWrap::signature(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), "forward(" + describeArguments(methodSchema(live(info.Env()), "forward")) + ")");
}

void ScriptModuleWrap::dispose(const Napi::CallbackInfo&) { module_.reset(); }

}  // namespace missingu
