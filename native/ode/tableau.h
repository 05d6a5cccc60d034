#pragma once
// Butcher tableaus as data: one explicit Runge-Kutta stepper serves every method.
#include <string>
#include <vector>

namespace missingu::ode {

struct Tableau {
  std::string name;
  int order = 1;                       // order of the propagated solution
  std::vector<double> c;               // stage times, c[0] = 0
  std::vector<std::vector<double>> a;  // a[i] holds the i weights of stages 0..i-1
  std::vector<double> b;               // solution weights
  std::vector<double> bError;          // b - b_hat of an embedded lower-order pair; empty if none
  bool fsal = false;                   // the last stage is f(s1, y1), reusable as the next step's first

  int stages() const { return static_cast<int>(b.size()); }
  bool adaptive() const { return !bError.empty(); }
};

// euler, midpoint, rk4 (classic), rk4-3/8 (torchdiffeq's "rk4"), dopri5. Throws
// std::invalid_argument listing the known names for anything else.
const Tableau& tableauNamed(const std::string& name);

std::vector<std::string> methodNames();

}  // namespace missingu::ode
