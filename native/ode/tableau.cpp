#include "ode/tableau.h"

#include <c10/util/StringUtil.h>

#include <stdexcept>

namespace missingu::ode {
namespace {

std::vector<double> minus(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] - y[i];
  return out;
}

const std::vector<Tableau>& tableaus() {
  static const std::vector<Tableau> all = {
      {"euler", 1, {0.0}, {{}}, {1.0}, {}, false},
      {"midpoint", 2, {0.0, 0.5}, {{}, {0.5}}, {0.0, 1.0}, {}, false},
      {"rk4",
       4,
       {0.0, 0.5, 0.5, 1.0},
       {{}, {0.5}, {0.0, 0.5}, {0.0, 0.0, 1.0}},
       {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6},
       {},
       false},
      {"rk4-3/8",
       4,
       {0.0, 1.0 / 3, 2.0 / 3, 1.0},
       {{}, {1.0 / 3}, {-1.0 / 3, 1.0}, {1.0, -1.0, 1.0}},
       {1.0 / 8, 3.0 / 8, 3.0 / 8, 1.0 / 8},
       {},
       false},
      // Dormand & Prince (1980), 5th-order solution with the 4th-order embedded error estimate.
      {"dopri5",
       5,
       {0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0},
       {{},
        {1.0 / 5},
        {3.0 / 40, 9.0 / 40},
        {44.0 / 45, -56.0 / 15, 32.0 / 9},
        {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
        {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
        {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}},
       {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0.0},
       minus({35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0.0},
             {5179.0 / 57600, 0.0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40}),
       true},
  };
  return all;
}

}  // namespace

const Tableau& tableauNamed(const std::string& name) {
  for (const Tableau& t : tableaus()) {
    if (t.name == name) return t;
  }
  throw std::invalid_argument("unknown ODE method '" + name + "': use one of " + c10::Join(", ", methodNames()));
}

std::vector<std::string> methodNames() {
  std::vector<std::string> names;
  for (const Tableau& t : tableaus()) names.push_back(t.name);
  return names;
}

}  // namespace missingu::ode
