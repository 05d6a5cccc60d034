#include "ode/step_controller.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/abs.h>

#include <algorithm>
#include <cmath>

namespace missingu::ode {
namespace {

// RMS over every element of x / (atol + rtol |y|).
double scaledRms(const State& x, const State& y, Tolerances tol) {
  double sum = 0.0;
  int64_t count = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const at::Tensor scale = y[i].abs() * tol.rtol + tol.atol;
    sum += (x[i] / scale).square().sum(at::kDouble).item<double>();
    count += x[i].numel();
  }
  return std::sqrt(sum / static_cast<double>(std::max<int64_t>(count, 1)));
}

}  // namespace

double initialStep(const Dynamics& f, double s0, const State& y0, const State& f0, int order, Tolerances tol,
                   double direction, int64_t& nfe) {
  at::NoGradGuard noGrad;
  const double d0 = scaledRms(y0, y0, tol);
  const double d1 = scaledRms(f0, y0, tol);
  const double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
  State y1;
  for (size_t i = 0; i < y0.size(); ++i) y1.push_back(y0[i] + f0[i] * (direction * h0));
  const State f1 = f(s0 + direction * h0, y1);
  ++nfe;
  State df;
  for (size_t i = 0; i < f0.size(); ++i) df.push_back(f1[i] - f0[i]);
  const double d2 = scaledRms(df, y0, tol) / h0;
  const double h1 =
      std::max(d1, d2) <= 1e-15 ? std::max(1e-6, h0 * 1e-3) : std::pow(0.01 / std::max(d1, d2), 1.0 / (order + 1));
  return std::min(100 * h0, h1);
}

double stepFactor(double errorRatio, int order, bool accepted) {
  const double grow = errorRatio == 0.0 ? 10.0 : 0.9 * std::pow(errorRatio, -1.0 / order);
  const double factor = std::min(10.0, std::max(0.2, grow));
  return accepted ? factor : std::min(1.0, factor);
}

}  // namespace missingu::ode
