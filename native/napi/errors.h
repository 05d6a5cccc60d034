#pragma once
// Where C++ exceptions become JS errors. Every binding body runs inside rethrowAsJs so that c10::Error
// and std::exception reach JS as one MissingUError (the class lib/native.ts registers with
// setErrorClass) carrying torch's message without its C++ backtrace and a stable `code`
// (runtime/error_code.h), instead of aborting the process.
#include <napi.h>

#include <string>
#include <utility>

#include "runtime/error_code.h"
#include "runtime/exception_message.h"  // currentExceptionMessage(), for async workers reporting errors as strings

namespace missingu {

// A MissingUError(message, { code }); before setErrorClass, an Error with a `code` property.
Napi::Error jsError(const Napi::Env& env, const std::string& message, ErrorCode code);

template <typename Body>
decltype(auto) rethrowAsJs(const Napi::Env& env, Body&& body) {
  try {
    return std::forward<Body>(body)();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw jsError(env, currentExceptionMessage(), currentErrorCode());
  }
}

// A MissingUError with code 'option' (a wrong argument type is a bad option).
[[noreturn]] void throwTypeError(const Napi::Env& env, const std::string& message);

// setErrorClass(MissingUError): the class native errors are made with.
void setErrorClass(const Napi::CallbackInfo& info);

}  // namespace missingu
