#pragma once
// ODE right-hand sides backed by TorchScript modules, so any module written in PyTorch can be integrated.
#include <torch/csrc/jit/api/module.h>

#include <string>
#include <vector>

#include "ode/dynamics.h"

namespace missingu::ode {

// forward(h, v, s) -> acceleration. s is passed as a float or as a 0-dim tensor on h's device,
// whichever the module's signature declares. Throws std::invalid_argument if the signature does
// not take three inputs.
Acceleration scriptAcceleration(const torch::jit::Module& module);

// forward(z, s) -> dz/ds.
VectorField scriptVectorField(const torch::jit::Module& module);

std::vector<at::Tensor> scriptParameters(const torch::jit::Module& module);

// Whether the module's forward takes s as a float (its last argument), rather than as a tensor.
bool scriptTakesFloatTime(const torch::jit::Module& module);

}  // namespace missingu::ode
