#pragma once
// The message of the exception being handled: torch's without its C++ backtrace, any other
// std::exception's what(). Call only inside a catch block.
#include <string>

namespace missingu {

std::string currentExceptionMessage();

}  // namespace missingu
