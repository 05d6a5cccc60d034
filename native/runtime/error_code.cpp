#include "runtime/error_code.h"

#include <c10/util/Exception.h>

#include <exception>

namespace missingu {

const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::File: return "file";
    case ErrorCode::Format: return "format";
    case ErrorCode::Shape: return "shape";
    case ErrorCode::Device: return "device";
    case ErrorCode::Option: return "option";
    case ErrorCode::Aborted: return "aborted";
    case ErrorCode::Numeric: return "numeric";
    case ErrorCode::Distributed: return "distributed";
    case ErrorCode::Internal: return "internal";
  }
  return "internal";
}

ErrorCode currentErrorCode() {
  try {
    throw;
  } catch (const CodedError& e) {
    return e.code();
  } catch (const std::invalid_argument&) {
    return ErrorCode::Option;
  } catch (const c10::ValueError&) {
    return ErrorCode::Option;
  } catch (const c10::TypeError&) {
    return ErrorCode::Option;
  } catch (const c10::IndexError&) {
    return ErrorCode::Option;
  } catch (const c10::OutOfMemoryError&) {
    return ErrorCode::Device;
  } catch (...) {
    return ErrorCode::Internal;
  }
}

}  // namespace missingu
