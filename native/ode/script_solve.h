#pragma once
// ode.solve on a TorchScript right-hand side: the dynamics the module defines, every check that can
// fail before the solve, and the gradient mode: none, backpropagation through every step (direct) or
// the adjoint method (adjoint.h).
#include <torch/csrc/jit/api/module.h>

#include <optional>
#include <vector>

#include "ode/vjp.h"
#include "runtime/precision.h"

namespace missingu::ode {

struct ScriptSolve {
  torch::jit::Module module;
  bool secondOrder = true;  // forward(h, v, s) -> acceleration on {h, v}; else forward(z, s) -> dz/ds on {z}
  State state;
  double s0 = 0, s1 = 1;
  SolveOptions options;
  std::optional<GradientMethod> gradient;  // nullopt: no gradients
  std::vector<at::Tensor> outputGrads;     // for the gradients; a missing (undefined) one counts as zero
  Precision precision = Precision::Fp32;   // what f runs in; the state and the stage updates stay float32
};

// Throws std::invalid_argument for whatever would make the solve fail before its first step: the
// options, the state, the precision on the state's device, f's signature, cudaGraph with gradients or
// a float s or off CUDA, and output gradients of another shape than the state's.
void validate(const ScriptSolve& request);

// The solution at s1 and, with a gradient mode, the gradients of sum_i <outputGrads[i], y_i(s1)>
// with respect to the state and f's parameters that require grad.
VjpSolution solveScript(const ScriptSolve& request);

}  // namespace missingu::ode
