#include "interop/script_method.h"

#include <ATen/core/grad_mode.h>

#include <sstream>
#include <stdexcept>
#include <utility>

#include "runtime/exception_message.h"

namespace missingu::interop {
namespace {

// The interpreter's message opens with a TorchScript traceback and ends with the cause; put the
// cause first so the JS error's first line says what went wrong.
std::string causeFirst(const std::string& message) {
  const size_t end = message.find_last_not_of("\n ");
  if (end == std::string::npos || message.rfind("The following operation failed", 0) != 0) return message;
  const size_t start = message.rfind('\n', end);
  return message.substr(start + 1, end - start) + "\n" + message;
}

}  // namespace

const c10::FunctionSchema& methodSchema(const torch::jit::Module& module, const std::string& name) {
  const auto method = module.find_method(name);
  if (!method) throw std::invalid_argument("the TorchScript module has no method '" + name + "'");
  return method->function().getSchema();
}

std::string describeArguments(const c10::FunctionSchema& schema) {
  std::ostringstream out;
  const auto& args = schema.arguments();
  for (size_t i = 1; i < args.size(); ++i) {
    out << (i > 1 ? ", " : "") << args[i].name() << ": " << args[i].type()->str();
  }
  return out.str();
}

void checkInputCount(const c10::FunctionSchema& schema, const std::string& name, size_t given) {
  const auto& args = schema.arguments();  // args[0] is self
  size_t required = 0;
  for (size_t i = 1; i < args.size(); ++i) required += args[i].default_value() ? 0 : 1;
  if (given < required || given > args.size() - 1) {
    throw std::invalid_argument(name + "(" + describeArguments(schema) + ") takes " + std::to_string(required) +
                                (required == args.size() - 1 ? "" : ".." + std::to_string(args.size() - 1)) +
                                " input(s) but was given " + std::to_string(given));
  }
}

at::Tensor callForTensor(torch::jit::Module module, const std::string& name, std::vector<c10::IValue> inputs) {
  at::NoGradGuard noGrad;
  c10::IValue result;
  try {
    result = module.get_method(name)(std::move(inputs));
  } catch (...) {
    throw std::runtime_error(causeFirst(currentExceptionMessage()));
  }
  if (!result.isTensor()) throw std::runtime_error("it returned " + result.tagKind() + "; missing-u expects a Tensor");
  return result.toTensor();
}

}  // namespace missingu::interop
