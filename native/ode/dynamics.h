#pragma once
// The right-hand side of an ODE on a state made of one or more tensors.
#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

namespace missingu::ode {

// The integrated state: {z} for a first-order system, {h, v} for a second-order one.
using State = std::vector<at::Tensor>;

class Dynamics {
 public:
  virtual ~Dynamics() = default;
  // dy/ds at (s, y), with the structure of y.
  virtual State operator()(double s, const State& y) const = 0;
  // The parameters the adjoint method computes gradients for.
  virtual std::vector<at::Tensor> parameters() const = 0;
};

using VectorField = std::function<at::Tensor(const at::Tensor& z, double s)>;
using Acceleration = std::function<at::Tensor(const at::Tensor& h, const at::Tensor& v, double s)>;

// dz/ds = f(z, s).
class FirstOrderDynamics final : public Dynamics {
 public:
  FirstOrderDynamics(VectorField f, std::vector<at::Tensor> parameters);
  State operator()(double s, const State& y) const override;
  std::vector<at::Tensor> parameters() const override { return parameters_; }

 private:
  VectorField f_;
  std::vector<at::Tensor> parameters_;
};

// d2h/ds2 = f(h, dh/ds, s), integrated as the first-order system dh/ds = v, dv/ds = f(h, v, s) on {h, v}.
class SecondOrderDynamics final : public Dynamics {
 public:
  SecondOrderDynamics(Acceleration f, std::vector<at::Tensor> parameters);
  State operator()(double s, const State& y) const override;
  std::vector<at::Tensor> parameters() const override { return parameters_; }

 private:
  Acceleration f_;
  std::vector<at::Tensor> parameters_;
};

}  // namespace missingu::ode
