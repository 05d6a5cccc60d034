#include "runtime/exception_message.h"

#include <c10/util/Exception.h>

#include <exception>

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

}  // namespace missingu
