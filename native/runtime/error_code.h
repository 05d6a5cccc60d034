#pragma once
// Stable error codes: what kind of failure a native exception is, so JS callers can branch on
// MissingUError.code. CodedError carries one; other exceptions are classified by type.
#include <stdexcept>
#include <string>

namespace missingu {

enum class ErrorCode {
  File,         // a file is missing, unreadable or not a regular file
  Format,       // a file is not in the format expected (corrupt, another kind of file)
  Shape,        // tensor names or shapes do not match a model's
  Device,       // a device that is unavailable or unknown
  Option,       // an option or argument is invalid
  Aborted,      // an AbortSignal stopped the call
  Numeric,      // NaN or infinite values
  Distributed,  // a data-parallel group failed
  Internal,     // anything else (a libtorch failure)
};

// The code's JS name: 'file', 'format', 'shape', 'device', 'option', 'aborted', 'numeric', 'distributed', 'internal'.
const char* errorCodeName(ErrorCode code);

class CodedError : public std::runtime_error {
 public:
  CodedError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// The code of the exception being handled (call only inside a catch block): a CodedError's own,
// Option for std::invalid_argument and c10 value/type/index errors, Internal otherwise.
ErrorCode currentErrorCode();

}  // namespace missingu
