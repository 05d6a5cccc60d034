#pragma once
#include <ATen/core/Tensor.h>

#include <string>

namespace missingu::models {

enum class Activation { Softplus, ReLU, SiLU };

// 'softplus' | 'relu' | 'silu'; std::invalid_argument otherwise.
Activation activationNamed(const std::string& name);
std::string activationName(Activation activation);
at::Tensor activate(const at::Tensor& x, Activation activation);

}  // namespace missingu::models
