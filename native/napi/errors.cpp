#include "napi/errors.h"

namespace missingu {

std::string currentExceptionMessage() {
  try {
    throw;
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown native error";
  }
}

void throwTypeError(const Napi::Env& env, const std::string& message) { throw Napi::TypeError::New(env, message); }

}  // namespace missingu
