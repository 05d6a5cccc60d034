#include "ode/solve.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/isfinite.h>
#include <c10/util/StringUtil.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "ode/rk_step.h"
#include "ode/stage_update.h"
#include "ode/step_controller.h"
#include "ode/tableau.h"
#include "ode/time_origin.h"
#ifdef MISSING_U_WITH_CUDA
#include <ATen/ops/scalar_tensor.h>

#include "cuda/graph.h"
#endif

namespace missingu::ode {
namespace {

Solution solveFixed(const Dynamics& f, const Tableau& tableau, const State& y0, double s0, double s1, int64_t steps) {
  Solution out{y0, {}};
  const double dt = (s1 - s0) / static_cast<double>(steps);
  std::optional<State> first;
  for (int64_t n = 0; n < steps; ++n) {
    RkStep step = rkStep(f, tableau, s0 + static_cast<double>(n) * dt, dt, out.y, std::move(first), out.stats.nfe);
    out.y = std::move(step.y1);
    first = tableau.fsal ? std::optional<State>(std::move(step.stages.back())) : std::nullopt;
    ++out.stats.accepted;
  }
  return out;
}

#ifdef MISSING_U_WITH_CUDA
// The fixed-step loop with one step captured in a CUDA graph: the step reads the state and its start
// time s_n from static buffers (the stage times are s_n + c_i dt, device ops under TimeOrigin), so the
// same graph serves every step.
Solution solveFixedGraphed(const Dynamics& f, const Tableau& tableau, const State& y0, double s0, double s1,
                           int64_t steps) {
  if (!y0[0].is_cuda()) {
    throw std::invalid_argument("cudaGraph: the state must be on a CUDA device, got " + c10::str(y0[0].device()));
  }
  if (at::GradMode::is_enabled()) {
    throw std::invalid_argument("cudaGraph: a CUDA graph cannot record gradients; solve without gradients");
  }
  const double dt = (s1 - s0) / static_cast<double>(steps);
  const size_t components = y0.size();
  cuda::GraphedFunction step([&f, &tableau, dt, components](const std::vector<at::Tensor>& in) {
    const TimeOrigin origin(in[components]);
    const State y(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(components));
    int64_t nfe = 0;
    return rkStep(f, tableau, 0.0, dt, y, std::nullopt, nfe).y1;
  });
  Solution out{y0, {}};
  for (int64_t n = 0; n < steps; ++n) {
    std::vector<at::Tensor> in = out.y;
    in.push_back(at::scalar_tensor(s0 + static_cast<double>(n) * dt, y0[0].options()));
    out.y = step(in);
    out.stats.nfe += tableau.stages();
    ++out.stats.accepted;
  }
  for (at::Tensor& t : out.y) t = t.clone();  // the graph's buffers die with it
  return out;
}
#endif

// RMS over all components of the embedded error estimate, scaled by the tolerances: one host read.
double errorRatio(const State& y0, const RkStep& step, const Tableau& tableau, double dt, Tolerances tol) {
  at::Tensor sum;
  int64_t count = 0;
  std::vector<double> coefs;
  for (double e : tableau.bError) coefs.push_back(dt * e);
  std::vector<at::Tensor> ks(step.stages.size());
  for (size_t c = 0; c < y0.size(); ++c) {
    for (size_t i = 0; i < ks.size(); ++i) ks[i] = step.stages[i][c];
    const at::Tensor part = scaledErrorSumOfSquares(y0[c], step.y1[c], ks, coefs, tol.rtol, tol.atol);
    sum = sum.defined() ? sum + part.to(sum.device()) : part;
    count += y0[c].numel();
  }
  return std::sqrt(sum.item<double>() / static_cast<double>(count));
}

// The spacing of numbers near 1 in the state's dtype, and the dtype's name.
std::pair<double, std::string> precisionOf(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kDouble: return {std::numeric_limits<double>::epsilon(), "float64"};
    case at::kHalf: return {std::numeric_limits<c10::Half>::epsilon(), "float16"};
    case at::kBFloat16: return {std::numeric_limits<c10::BFloat16>::epsilon(), "bfloat16"};
    default: return {std::numeric_limits<float>::epsilon(), "float32"};
  }
}

bool allFinite(const State& y) {
  for (const at::Tensor& t : y) {
    if (!at::isfinite(t).all().item<bool>()) return false;
  }
  return true;
}

// Step-size control broke down at s (a non-finite error estimate or step, or a step too small to move
// s): a state gone NaN or infinite, or tolerances finer than the state's dtype can tell apart, whose
// scaled errors overflow or whose steps shrink to nothing.
[[noreturn]] void brokeDown(const Tableau& tableau, const State& y, double s, Tolerances tol) {
  if (!allFinite(y)) {
    throw std::runtime_error("ODE solver " + tableau.name +
                             ": the state became NaN or infinite at s = " + std::to_string(s));
  }
  const auto [epsilon, dtype] = precisionOf(y[0]);
  throw std::invalid_argument("ODE solver " + tableau.name + ": rtol " + c10::str(tol.rtol) + " and atol " +
                              c10::str(tol.atol) + " are below what " + dtype + " can resolve (its precision is " +
                              c10::str(epsilon) + "): the step size control broke down at s = " + c10::str(s) +
                              "; raise rtol and atol, or integrate in float64");
}

Solution solveAdaptive(const Dynamics& f, const Tableau& tableau, const State& y0, double s0, double s1,
                       const SolveOptions& options) {
  Solution out{y0, {}};
  if (s0 == s1) return out;
  const Tolerances tol{options.rtol, options.atol};
  const double direction = s1 > s0 ? 1.0 : -1.0;
  std::optional<State> first = f(s0, y0);
  ++out.stats.nfe;
  double dt = direction * initialStep(f, s0, y0, *first, tableau.order, tol, direction, out.stats.nfe);
  if (!std::isfinite(dt) || dt == 0) {
    State both = y0;
    both.insert(both.end(), first->begin(), first->end());
    brokeDown(tableau, both, s0, tol);
  }
  double s = s0;
  while (direction * (s1 - s) > 0) {
    if (out.stats.accepted + out.stats.rejected >= options.maxSteps) {
      throw std::runtime_error("ODE solver " + tableau.name + " gave up after " + std::to_string(options.maxSteps) +
                               " steps at s = " + std::to_string(s) + " of [" + std::to_string(s0) + ", " +
                               std::to_string(s1) + "]: the problem may be stiff or the tolerances too tight; " +
                               "raise maxSteps or rtol/atol, or use a fixed-step method");
    }
    const bool last = direction * (s + dt - s1) >= 0;
    const double h = last ? s1 - s : dt;
    if (s + h == s) brokeDown(tableau, out.y, s, tol);
    RkStep step = rkStep(f, tableau, s, h, out.y, first, out.stats.nfe);
    double ratio;
    {
      at::NoGradGuard noGrad;
      ratio = errorRatio(out.y, step, tableau, h, tol);
    }
    if (!std::isfinite(ratio)) brokeDown(tableau, step.y1, s, tol);
    const bool accepted = ratio <= 1.0;
    if (accepted) {
      s = last ? s1 : s + h;
      out.y = std::move(step.y1);
      first = std::move(step.stages.back());
      ++out.stats.accepted;
    } else {
      ++out.stats.rejected;
    }
    dt = h * stepFactor(ratio, tableau.order, accepted);
  }
  return out;
}

}  // namespace

void validate(const SolveOptions& options) {
  const Tableau& tableau = tableauNamed(options.method);
  if (tableau.adaptive()) {
    if (!(options.rtol >= 0) || !(options.atol >= 0) || options.rtol + options.atol == 0) {
      throw std::invalid_argument("rtol and atol must be non-negative and not both zero (got rtol " +
                                  std::to_string(options.rtol) + ", atol " + std::to_string(options.atol) + ")");
    }
    if (options.maxSteps < 1) throw std::invalid_argument("maxSteps must be at least 1");
  } else if (options.steps < 1) {
    throw std::invalid_argument("method '" + options.method + "' is fixed-step: steps must be an integer >= 1 (got " +
                                std::to_string(options.steps) + ")");
  }
  if (options.cudaGraph) {
#ifndef MISSING_U_WITH_CUDA
    throw std::invalid_argument(
        "cudaGraph: true needs the CUDA build of missing-u (npm run build:cuda); this build is CPU-only");
#endif
    if (tableau.adaptive()) {
      throw std::invalid_argument("cudaGraph applies to fixed-step methods; '" + options.method +
                                  "' reads its error estimate on the host every step");
    }
  }
}

void validateState(const State& y0) {
  if (y0.empty()) throw std::invalid_argument("the initial state is empty");
  for (size_t i = 0; i < y0.size(); ++i) {
    if (!y0[i].defined()) throw std::invalid_argument("initial state component " + std::to_string(i) + " is missing");
  }
}

void validateSecondOrderState(const State& y0) {
  validateState(y0);
  if (y0.size() != 2) throw std::invalid_argument("a second-order system needs the state {x0, v0}");
  if (y0[1].sizes() != y0[0].sizes()) {
    throw std::invalid_argument("x0 has shape " + c10::str(y0[0].sizes()) + " but v0 has shape " +
                                c10::str(y0[1].sizes()) + "; they must be equal");
  }
  if (y0[1].scalar_type() != y0[0].scalar_type() || y0[1].device() != y0[0].device()) {
    throw std::invalid_argument("x0 and v0 must share dtype and device");
  }
}

Solution solve(const Dynamics& f, const State& y0, double s0, double s1, const SolveOptions& options) {
  validate(options);
  validateState(y0);
  if (!std::isfinite(s0) || !std::isfinite(s1)) throw std::invalid_argument("s0 and s1 must be finite numbers");
  const Tableau& tableau = tableauNamed(options.method);
  if (tableau.adaptive()) return solveAdaptive(f, tableau, y0, s0, s1, options);
#ifdef MISSING_U_WITH_CUDA
  if (options.cudaGraph) return solveFixedGraphed(f, tableau, y0, s0, s1, options.steps);
#endif
  return solveFixed(f, tableau, y0, s0, s1, options.steps);
}

}  // namespace missingu::ode
