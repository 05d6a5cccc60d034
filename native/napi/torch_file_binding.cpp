#include "napi/torch_file_binding.h"

#include <ATen/core/Dict.h>
#include <ATen/core/List.h>

#include "interop/torch_save.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/tensor.h"

#include <memory>
#include <string>

namespace missingu {
namespace {

// torch.save files nest a few levels (a checkpoint dict, an optimizer's state by parameter index).
constexpr int kMaxDepth = 64;

std::string keyText(const c10::IValue& key) {
  if (key.isString()) return key.toStringRef();
  if (key.isInt()) return std::to_string(key.toInt());
  if (key.isDouble()) return std::to_string(key.toDouble());
  if (key.isBool()) return key.toBool() ? "true" : "false";
  throw CodedError(ErrorCode::Format, "a dict key of type " + key.tagKind() + " cannot be read");
}

Napi::Value toJs(Napi::Env env, const c10::IValue& value, int depth) {
  if (depth > kMaxDepth) throw CodedError(ErrorCode::Format, "objects nest deeper than " + std::to_string(kMaxDepth));
  if (value.isNone()) return env.Null();
  if (value.isBool()) return Napi::Boolean::New(env, value.toBool());
  if (value.isInt()) return Napi::Number::New(env, static_cast<double>(value.toInt()));
  if (value.isDouble()) return Napi::Number::New(env, value.toDouble());
  if (value.isString()) return Napi::String::New(env, value.toStringRef());
  if (value.isTensor()) {
    return TensorWrap::wrap(env, value.toTensor().detach().to(at::kCPU, at::kFloat).contiguous());
  }
  if (value.isGenericDict()) {
    Napi::Object out = Napi::Object::New(env);
    for (const auto& entry : value.toGenericDict()) out.Set(keyText(entry.key()), toJs(env, entry.value(), depth + 1));
    return out;
  }
  if (value.isList() || value.isTuple()) {
    const std::vector<c10::IValue> items =
        value.isList()
            ? value.toList().vec()
            : std::vector<c10::IValue>(value.toTupleRef().elements().begin(), value.toTupleRef().elements().end());
    Napi::Array out = Napi::Array::New(env, items.size());
    for (size_t i = 0; i < items.size(); ++i) out.Set(i, toJs(env, items[i], depth + 1));
    return out;
  }
  throw CodedError(ErrorCode::Format, "a value of type " + value.tagKind() + " cannot be read");
}

}  // namespace

Napi::Value torchLoad(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    if (info.Length() != 1 || !info[0].IsString()) throwTypeError(env, "torchLoad(path) expects a file path");
    auto path = std::make_shared<std::string>(info[0].As<Napi::String>().Utf8Value());
    auto value = std::make_shared<c10::IValue>();
    return runAsync(
        env, [path, value] { *value = interop::readTorchSave(*path); },
        [path, value](Napi::Env e) -> Napi::Value {
          try {
            return toJs(e, *value, 0);
          } catch (const CodedError& err) {
            throw jsError(e, *path + ": " + err.what(), err.code());
          }
        });
  });
}

}  // namespace missingu
