#include "ode/dynamics.h"

#include <utility>

namespace missingu::ode {

FirstOrderDynamics::FirstOrderDynamics(VectorField f, std::vector<at::Tensor> parameters)
    : f_(std::move(f)), parameters_(std::move(parameters)) {}

State FirstOrderDynamics::operator()(double s, const State& y) const { return {f_(y[0], s)}; }

SecondOrderDynamics::SecondOrderDynamics(Acceleration f, std::vector<at::Tensor> parameters)
    : f_(std::move(f)), parameters_(std::move(parameters)) {}

State SecondOrderDynamics::operator()(double s, const State& y) const { return {y[1], f_(y[0], y[1], s)}; }

}  // namespace missingu::ode
