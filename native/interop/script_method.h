#pragma once
// Calling a TorchScript module's methods from outside TorchScript: their signatures, how many inputs
// they take, and a call that must give back a Tensor.
#include <torch/csrc/jit/api/module.h>

#include <cstddef>
#include <string>
#include <vector>

namespace missingu::interop {

// std::invalid_argument when the module has no method `name`.
const c10::FunctionSchema& methodSchema(const torch::jit::Module& module, const std::string& name);

// "x: Tensor, t: Tensor": the arguments without self.
std::string describeArguments(const c10::FunctionSchema& schema);

// std::invalid_argument saying what method `name` takes when `given` inputs are too few (arguments
// without defaults) or too many.
void checkInputCount(const c10::FunctionSchema& schema, const std::string& name, size_t given);

// Runs method `name` without gradients. Its failure becomes a std::runtime_error whose first line is
// the interpreter's cause; a result other than a Tensor is a std::runtime_error too.
at::Tensor callForTensor(torch::jit::Module module, const std::string& name, std::vector<c10::IValue> inputs);

}  // namespace missingu::interop
