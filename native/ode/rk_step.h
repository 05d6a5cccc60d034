#pragma once
// One explicit Runge-Kutta step, driven by a tableau.
#include <optional>
#include <vector>

#include "ode/dynamics.h"
#include "ode/tableau.h"

namespace missingu::ode {

struct RkStep {
  State y1;
  std::vector<State> stages;  // stages[i] = f(s + c_i dt, y_i)
};

// Advances y from s to s + dt. firstStage, when given, is f(s, y) already known (FSAL).
// nfe is increased by the number of evaluations of f made.
RkStep rkStep(const Dynamics& f, const Tableau& tableau, double s, double dt, const State& y,
              std::optional<State> firstStage, int64_t& nfe);

// y + dt * sum_i weights[i] * stages[i], component by component (the fused stage update).
State combineStages(const State& y, const std::vector<State>& stages, const std::vector<double>& weights, double dt);

}  // namespace missingu::ode
