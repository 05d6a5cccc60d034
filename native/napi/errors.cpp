#include "napi/errors.h"

#include "napi/addon_data.h"

namespace missingu {

Napi::Error jsError(const Napi::Env& env, const std::string& message, ErrorCode code) {
  const AddonData& data = addonData(env);
  Napi::Object error;
  if (data.errorClass.IsEmpty()) {
    error = Napi::Error::New(env, message).Value();
    error.Set("code", errorCodeName(code));
  } else {
    Napi::Object options = Napi::Object::New(env);
    options.Set("code", errorCodeName(code));
    error = data.errorClass.New({Napi::String::New(env, message), options});
  }
  return Napi::Error(env, error);
}

void throwTypeError(const Napi::Env& env, const std::string& message) {
  throw jsError(env, message, ErrorCode::Option);
}

void setErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throwTypeError(info.Env(), "setErrorClass expects a class");
  addonData(info.Env()).errorClass = Napi::Persistent(info[0].As<Napi::Function>());
}

}  // namespace missingu
