#include "models/activation.h"

#include <ATen/ops/relu.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/softplus.h>

#include "kernels/softplus.h"
#include "runtime/name_table.h"

namespace missingu::models {
namespace {

const NameTable<Activation>& activations() {
  static const NameTable<Activation> table{
      {"softplus", Activation::Softplus}, {"relu", Activation::ReLU}, {"silu", Activation::SiLU}};
  return table;
}

}  // namespace

Activation activationNamed(const std::string& name) { return activations().parse(name, "activation"); }

std::string activationName(Activation activation) { return activations().name(activation); }

std::vector<std::string> activationNames() { return activations().names(); }

at::Tensor activate(const at::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::Softplus: return kernels::softplus(x);
    case Activation::ReLU: return at::relu(x);
    case Activation::SiLU: return at::silu(x);
  }
  return x;
}

}  // namespace missingu::models
