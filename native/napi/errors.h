#pragma once
// Every binding body runs inside rethrowAsJs so that c10::Error and std::exception reach JS as one
// Error carrying torch's message without its C++ backtrace, instead of aborting the process.
#include <napi.h>

#include <c10/util/Exception.h>

#include <exception>
#include <string>
#include <utility>

#include "runtime/exception_message.h"  // currentExceptionMessage(), for async workers reporting errors as strings

namespace missingu {

template <typename Body>
decltype(auto) rethrowAsJs(const Napi::Env& env, Body&& body) {
  try {
    return std::forward<Body>(body)();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

[[noreturn]] void throwTypeError(const Napi::Env& env, const std::string& message);

}  // namespace missingu
