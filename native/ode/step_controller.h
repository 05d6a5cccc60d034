#pragma once
// Step-size control for embedded Runge-Kutta pairs, kept apart from the stepper.
#include <cstdint>

#include "ode/dynamics.h"

namespace missingu::ode {

struct Tolerances {
  double rtol;
  double atol;
};

// Hairer, Norsett & Wanner (1993), II.4: the starting step from the sizes of y0, f0 and one
// trial Euler step. direction is +1 or -1; nfe counts the extra evaluation.
double initialStep(const Dynamics& f, double s0, const State& y0, const State& f0, int order, Tolerances tol,
                   double direction, int64_t& nfe);

// Factor for the next step from the scaled RMS error of this one:
// min(10, max(0.2, 0.9 * error^(-1/order))), never growing right after a rejection.
double stepFactor(double errorRatio, int order, bool accepted);

}  // namespace missingu::ode
