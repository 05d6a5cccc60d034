#include "ode/script_solve.h"

#include <ATen/core/grad_mode.h>
#include <c10/util/StringUtil.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "ode/script_function.h"
#include "ode/solve.h"

namespace missingu::ode {
namespace {

std::shared_ptr<const Dynamics> dynamicsOf(const ScriptSolve& r) {
  const auto parameters = scriptParameters(r.module);
  if (r.secondOrder) return std::make_shared<SecondOrderDynamics>(scriptAcceleration(r.module), parameters);
  return std::make_shared<FirstOrderDynamics>(scriptVectorField(r.module), parameters);
}

}  // namespace

void validate(const ScriptSolve& r) {
  validate(r.options);
  r.secondOrder ? validateSecondOrderState(r.state) : validateState(r.state);
  requirePrecision(r.precision, r.state[0].device(), "ode.solve");
  dynamicsOf(r);
  if (r.options.cudaGraph) {
    if (r.gradient) {
      const std::string name = *r.gradient == GradientMethod::Adjoint ? "adjoint" : "direct";
      throw std::invalid_argument("ode: cudaGraph cannot record gradients (gradient '" + name + "')");
    }
    if (scriptTakesFloatTime(r.module)) {
      throw std::invalid_argument(
          "ode.solve: cudaGraph needs f's forward to take s as a Tensor (a float s would be frozen into the graph)");
    }
    if (!r.state[0].is_cuda()) throw std::invalid_argument("ode.solve: cudaGraph needs the state on a CUDA device");
  }
  for (size_t i = 0; i < r.outputGrads.size() && i < r.state.size(); ++i) {
    if (r.outputGrads[i].defined() && r.outputGrads[i].sizes() != r.state[i].sizes()) {
      throw std::invalid_argument("ode.solve: outputGrads[" + std::to_string(i) + "] has shape " +
                                  c10::str(r.outputGrads[i].sizes()) + " but the state has " +
                                  c10::str(r.state[i].sizes()));
    }
  }
}

VjpSolution solveScript(const ScriptSolve& r) {
  const auto dynamics = dynamicsOf(r);
  const PrecisionScope precision(r.precision, r.state[0].device().type());
  if (!r.gradient) {
    at::NoGradGuard noGrad;
    Solution solution = solve(*dynamics, r.state, r.s0, r.s1, r.options);
    return {std::move(solution.y), solution.stats, std::nullopt, {}, {}};
  }
  NamedParameters parameters;
  for (const auto& named : r.module.named_parameters()) {
    if (named.value.requires_grad()) parameters.emplace_back(named.name, named.value);
  }
  return solveVjp(dynamics, r.state, parameters, r.s0, r.s1, r.options, *r.gradient, r.outputGrads);
}

}  // namespace missingu::ode
