#pragma once
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace missingu::models {

enum class Activation { Softplus, ReLU, SiLU };

// std::invalid_argument naming the activations for an unknown name.
Activation activationNamed(const std::string& name);
std::string activationName(Activation activation);
std::vector<std::string> activationNames();  // the names activation.cpp's table gives them
at::Tensor activate(const at::Tensor& x, Activation activation);

}  // namespace missingu::models
