#include "ode/script_function.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/scalar_tensor.h>

#include <stdexcept>

#include "ode/time_origin.h"

namespace missingu::ode {
namespace {

// How to pass s: as a float, or as a 0-dim tensor.
bool takesFloatTime(const torch::jit::Module& module, size_t inputs, const std::string& expected) {
  const auto& args = module.get_method("forward").function().getSchema().arguments();  // args[0] is self
  if (args.size() != inputs + 1) {
    throw std::invalid_argument("f must be a module with forward" + expected + ", but its forward takes " +
                                std::to_string(args.size() - 1) + " input(s)");
  }
  return args.back().type()->kind() == c10::TypeKind::FloatType;
}

at::Tensor call(torch::jit::Module module, std::vector<c10::IValue> inputs, const std::string& expected) {
  c10::IValue out = module.forward(std::move(inputs));
  if (!out.isTensor()) throw std::invalid_argument("f's forward" + expected + " must return a Tensor");
  return out.toTensor();
}

c10::IValue timeValue(double s, bool asFloat, const at::Tensor& like) {
  if (const at::Tensor* origin = TimeOrigin::current()) {
    if (asFloat) {
      throw std::invalid_argument(
          "cudaGraph needs f's forward to take s as a Tensor: a float s would be frozen into the captured graph");
    }
    return *origin + s;
  }
  if (asFloat) return s;
  return at::scalar_tensor(s, like.options().requires_grad(false));
}

}  // namespace

bool scriptTakesFloatTime(const torch::jit::Module& module) {
  const auto& args = module.get_method("forward").function().getSchema().arguments();
  return !args.empty() && args.back().type()->kind() == c10::TypeKind::FloatType;
}

Acceleration scriptAcceleration(const torch::jit::Module& module) {
  const std::string expected = "(h, v, s)";
  const bool asFloat = takesFloatTime(module, 3, expected);
  return [module, asFloat, expected](const at::Tensor& h, const at::Tensor& v, double s) {
    return call(module, {h, v, timeValue(s, asFloat, h)}, expected);
  };
}

VectorField scriptVectorField(const torch::jit::Module& module) {
  const std::string expected = "(z, s)";
  const bool asFloat = takesFloatTime(module, 2, expected);
  return [module, asFloat, expected](const at::Tensor& z, double s) {
    return call(module, {z, timeValue(s, asFloat, z)}, expected);
  };
}

std::vector<at::Tensor> scriptParameters(const torch::jit::Module& module) {
  std::vector<at::Tensor> out;
  for (const at::Tensor& p : module.parameters()) out.push_back(p);
  return out;
}

}  // namespace missingu::ode
