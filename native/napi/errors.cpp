#include "napi/errors.h"

namespace missingu {

void throwTypeError(const Napi::Env& env, const std::string& message) { throw Napi::TypeError::New(env, message); }

}  // namespace missingu
