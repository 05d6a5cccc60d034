#pragma once
// Fixed-step and adaptive integration of a Dynamics from s0 to s1.
#include <cstdint>
#include <string>

#include "ode/dynamics.h"

namespace missingu::ode {

struct SolveOptions {
  std::string method = "rk4";
  int64_t steps = 0;  // fixed-step methods: number of equal steps (>= 1); unused by dopri5
  double rtol = 1e-7;
  double atol = 1e-9;
  int64_t maxSteps = 10000;  // adaptive: accepted + rejected steps before giving up
  // Fixed-step methods on CUDA, CUDA build only: capture one step in a CUDA graph and replay it for
  // every step. Needs gradients off and a right-hand side that takes s as a tensor (TimeOrigin).
  bool cudaGraph = false;
};

struct SolveStats {
  int64_t nfe = 0;
  int64_t accepted = 0;
  int64_t rejected = 0;
};

struct Solution {
  State y;
  SolveStats stats;
};

// Throws std::invalid_argument naming the bad option and what is allowed (cudaGraph in a CPU-only
// build or with an adaptive method included).
void validate(const SolveOptions& options);
// Throws std::invalid_argument when a component of y0 is missing.
void validateState(const State& y0);
// Throws std::invalid_argument unless y0 is {h, v} with equal shapes, dtypes and devices.
void validateSecondOrderState(const State& y0);

// Integrates dy/ds = f(s, y) from s0 to s1. Differentiable through autograd when the inputs or f's
// parameters require grad (backpropagation through every step; see adjoint.h for the alternative).
// The fixed-step loop never reads device memory from the host; the adaptive loop reads the error
// estimate once per step.
Solution solve(const Dynamics& f, const State& y0, double s0, double s1, const SolveOptions& options);

}  // namespace missingu::ode
