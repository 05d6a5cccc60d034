#pragma once
// The vector-Jacobian product of an ODE solution: solve from y0 and return the gradients of
// sum_i <outputGrads[i], y_i(s1)> with respect to y0 and the named parameters of f, by backpropagation
// through every solver step (direct) or by the adjoint method (adjoint.h).
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ode/solve.h"

namespace missingu::ode {

enum class GradientMethod { Direct, Adjoint };

using NamedParameters = std::vector<std::pair<std::string, at::Tensor>>;

struct VjpSolution {
  State y;  // detached
  SolveStats stats;
  std::optional<SolveStats> backwardStats;  // the adjoint's backward solve
  State stateGrads;                         // one per component of y0 (zeros where y does not depend on it)
  NamedParameters parameterGrads;           // one per entry of `parameters`
};

// `parameters` are f's parameters that require grad, by name; a missing (undefined) output gradient
// counts as zero.
VjpSolution solveVjp(const std::shared_ptr<const Dynamics>& f, const State& y0, const NamedParameters& parameters,
                     double s0, double s1, const SolveOptions& options, GradientMethod method,
                     const std::vector<at::Tensor>& outputGrads);

}  // namespace missingu::ode
