#include "ode/adjoint.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/zeros_like.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

namespace missingu::ode {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Problem : public torch::CustomClassHolder {
  std::shared_ptr<const Dynamics> f;
  double s0 = 0, s1 = 1;
  SolveOptions options;
  std::vector<at::Tensor> parameters;  // those that require grad
  std::shared_ptr<SolveStats> forwardStats = std::make_shared<SolveStats>();
  std::shared_ptr<SolveStats> backwardStats = std::make_shared<SolveStats>();
};

// The augmented system integrated backwards: state [y, a, g] with
// dy/ds = f(s, y), da/ds = -a^T df/dy, dg/ds = -a^T df/dtheta.
class AugmentedDynamics final : public Dynamics {
 public:
  explicit AugmentedDynamics(const Problem& problem) : problem_(problem) {}

  State operator()(double s, const State& augmented) const override {
    const size_t n = augmented.size() - problem_.parameters.size();
    const size_t stateSize = n / 2;
    State y, a, inputs;
    for (size_t i = 0; i < stateSize; ++i) {
      y.push_back(augmented[i].detach().requires_grad_(true));
      a.push_back(augmented[stateSize + i]);
    }
    at::AutoGradMode enableGrad(true);
    const State fy = (*problem_.f)(s, y);
    inputs = y;
    inputs.insert(inputs.end(), problem_.parameters.begin(), problem_.parameters.end());
    const variable_list vjp = torch::autograd::grad(fy, inputs, a, /*retain_graph=*/false, /*create_graph=*/false,
                                                    /*allow_unused=*/true);
    State out;
    for (const at::Tensor& d : fy) out.push_back(d.detach());
    for (size_t i = 0; i < inputs.size(); ++i) {
      out.push_back(vjp[i].defined() ? -vjp[i] : at::zeros_like(inputs[i]));
    }
    return out;
  }

  std::vector<at::Tensor> parameters() const override { return {}; }

 private:
  const Problem& problem_;
};

struct AdjointSolve : public torch::autograd::Function<AdjointSolve> {
  static variable_list forward(AutogradContext* ctx, c10::intrusive_ptr<Problem> problem, at::TensorList y0,
                               at::TensorList parameters) {
    Solution solution;
    {
      at::NoGradGuard noGrad;
      solution = solve(*problem->f, y0.vec(), problem->s0, problem->s1, problem->options);
    }
    *problem->forwardStats = solution.stats;
    ctx->save_for_backward(solution.y);
    ctx->saved_data["problem"] = c10::IValue::make_capsule(problem);
    return solution.y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto problem = c10::static_intrusive_pointer_cast<Problem>(ctx->saved_data["problem"].toCapsule());
    const variable_list y1 = ctx->get_saved_variables();
    State augmented;
    for (const at::Tensor& y : y1) augmented.push_back(y.detach());
    for (size_t i = 0; i < y1.size(); ++i) augmented.push_back(grads[i].defined() ? grads[i] : at::zeros_like(y1[i]));
    for (const at::Tensor& p : problem->parameters) augmented.push_back(at::zeros_like(p));

    Solution back;
    {
      at::NoGradGuard noGrad;
      back = solve(AugmentedDynamics(*problem), augmented, problem->s1, problem->s0, problem->options);
    }
    *problem->backwardStats = back.stats;
    variable_list out = {at::Tensor()};  // the problem
    for (size_t i = 0; i < y1.size(); ++i) out.push_back(back.y[y1.size() + i]);
    for (size_t i = 0; i < problem->parameters.size(); ++i) out.push_back(back.y[2 * y1.size() + i]);
    return out;
  }
};

}  // namespace

AdjointSolution solveAdjoint(std::shared_ptr<const Dynamics> f, const State& y0, double s0, double s1,
                             const SolveOptions& options) {
  validate(options);
  validateState(y0);
  auto problem = c10::make_intrusive<Problem>();
  problem->f = std::move(f);
  problem->s0 = s0;
  problem->s1 = s1;
  problem->options = options;
  for (const at::Tensor& p : problem->f->parameters()) {
    if (p.requires_grad()) problem->parameters.push_back(p);
  }
  // TensorLists (not std::vectors) so that autograd sees each tensor as an input.
  State y = AdjointSolve::apply(problem, at::TensorList(y0), at::TensorList(problem->parameters));
  return {std::move(y), *problem->forwardStats, problem->backwardStats};
}

}  // namespace missingu::ode
