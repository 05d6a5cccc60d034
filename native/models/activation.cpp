#include "models/activation.h"

#include <ATen/ops/relu.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/softplus.h>

#include <stdexcept>

#include "kernels/softplus.h"

namespace missingu::models {

Activation activationNamed(const std::string& name) {
  if (name == "softplus") return Activation::Softplus;
  if (name == "relu") return Activation::ReLU;
  if (name == "silu") return Activation::SiLU;
  throw std::invalid_argument("unknown activation '" + name + "': use softplus, relu or silu");
}

std::string activationName(Activation activation) {
  switch (activation) {
    case Activation::Softplus: return "softplus";
    case Activation::ReLU: return "relu";
    case Activation::SiLU: return "silu";
  }
  return "?";
}

at::Tensor activate(const at::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::Softplus: return kernels::softplus(x);
    case Activation::ReLU: return at::relu(x);
    case Activation::SiLU: return at::silu(x);
  }
  return x;
}

}  // namespace missingu::models
