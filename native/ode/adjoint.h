#pragma once
// Gradients of an ODE solution by the adjoint method (Chen et al. 2018; for second-order systems
// Norcliffe et al. 2020, as the first-order adjoint of the augmented state): the forward solve
// keeps no graph, and the backward pass integrates the state, its adjoint a = dL/dy and the
// parameter gradient from s1 back to s0. Memory does not grow with the number of steps.
#include <memory>

#include "ode/solve.h"

namespace missingu::ode {

struct AdjointSolution {
  State y;  // differentiable: autograd runs the adjoint pass for gradients of y
  SolveStats stats;
  // Filled in when the backward pass runs.
  std::shared_ptr<SolveStats> backwardStats;
};

// Like solve(), with the backward pass solved by the adjoint method using the same options.
// Gradients reach y0 and those of f.parameters() that require grad.
AdjointSolution solveAdjoint(std::shared_ptr<const Dynamics> f, const State& y0, double s0, double s1,
                             const SolveOptions& options);

}  // namespace missingu::ode
