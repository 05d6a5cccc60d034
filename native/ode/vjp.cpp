#include "ode/vjp.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/zeros_like.h>
#include <torch/csrc/autograd/autograd.h>

#include "ode/adjoint.h"

namespace missingu::ode {

VjpSolution solveVjp(const std::shared_ptr<const Dynamics>& f, const State& y0, const NamedParameters& parameters,
                     double s0, double s1, const SolveOptions& options, GradientMethod method,
                     const std::vector<at::Tensor>& outputGrads) {
  at::AutoGradMode enableGrad(true);
  std::vector<at::Tensor> inputs;
  for (const at::Tensor& t : y0) inputs.push_back(t.detach().requires_grad_(true));
  for (const auto& named : parameters) inputs.push_back(named.second);
  const State start(inputs.begin(), inputs.begin() + static_cast<std::ptrdiff_t>(y0.size()));

  VjpSolution out;
  State y;
  std::shared_ptr<SolveStats> backward;  // filled in by the adjoint's backward pass
  if (method == GradientMethod::Adjoint) {
    AdjointSolution solution = solveAdjoint(f, start, s0, s1, options);
    y = std::move(solution.y);
    out.stats = solution.stats;
    backward = solution.backwardStats;
  } else {
    Solution solution = solve(*f, start, s0, s1, options);
    y = std::move(solution.y);
    out.stats = solution.stats;
  }
  std::vector<at::Tensor> gradOutputs;
  for (size_t i = 0; i < y.size(); ++i) {
    const bool given = i < outputGrads.size() && outputGrads[i].defined();
    gradOutputs.push_back(given ? outputGrads[i] : at::zeros_like(y[i]));
  }
  const auto grads = torch::autograd::grad(y, inputs, gradOutputs, /*retain_graph=*/false, /*create_graph=*/false,
                                           /*allow_unused=*/true);
  const auto orZeros = [&](size_t i) { return grads[i].defined() ? grads[i] : at::zeros_like(inputs[i]); };
  for (size_t i = 0; i < y0.size(); ++i) out.stateGrads.push_back(orZeros(i));
  for (size_t i = 0; i < parameters.size(); ++i)
    out.parameterGrads.emplace_back(parameters[i].first, orZeros(y0.size() + i));
  if (backward) out.backwardStats = *backward;
  for (const at::Tensor& t : y) out.y.push_back(t.detach());
  return out;
}

}  // namespace missingu::ode
