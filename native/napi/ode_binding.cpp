#include "napi/ode_binding.h"

#include <ATen/core/grad_mode.h>

#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/options.h"
#include "napi/script_module.h"
#include "napi/tensor.h"
#include "ode/script_function.h"
#include "ode/solve.h"
#include "ode/stage_update.h"
#include "ode/vjp.h"
#include "runtime/precision.h"

#include <memory>
#include <optional>
#include <utility>

namespace missingu {
namespace {

struct SolveRequest {
  torch::jit::Module module;
  bool secondOrder = true;
  ode::State state;
  double s0 = 0, s1 = 1;
  ode::SolveOptions options;
  std::string gradient;  // none | direct | adjoint
  std::vector<at::Tensor> outputGrads;
  Precision precision = Precision::Fp32;  // what f runs in; the state and the stage updates stay float32
};

std::shared_ptr<const ode::Dynamics> dynamicsOf(const SolveRequest& r) {
  const auto parameters = ode::scriptParameters(r.module);
  if (r.secondOrder) return std::make_shared<ode::SecondOrderDynamics>(ode::scriptAcceleration(r.module), parameters);
  return std::make_shared<ode::FirstOrderDynamics>(ode::scriptVectorField(r.module), parameters);
}

ode::VjpSolution runSolve(const SolveRequest& r) {
  const auto dynamics = dynamicsOf(r);
  const PrecisionScope precision(r.precision, r.state[0].device().type());
  if (r.gradient == "none") {
    at::NoGradGuard noGrad;
    ode::Solution solution = ode::solve(*dynamics, r.state, r.s0, r.s1, r.options);
    return {std::move(solution.y), solution.stats, std::nullopt, {}, {}};
  }
  ode::NamedParameters parameters;
  for (const auto& named : r.module.named_parameters()) {
    if (named.value.requires_grad()) parameters.emplace_back(named.name, named.value);
  }
  const auto method = r.gradient == "adjoint" ? ode::GradientMethod::Adjoint : ode::GradientMethod::Direct;
  return ode::solveVjp(dynamics, r.state, parameters, r.s0, r.s1, r.options, method, r.outputGrads);
}

Napi::Object statsObject(Napi::Env env, const ode::SolveStats& stats) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("nfe", static_cast<double>(stats.nfe));
  out.Set("accepted", static_cast<double>(stats.accepted));
  out.Set("rejected", static_cast<double>(stats.rejected));
  return out;
}

Napi::Array tensorArray(Napi::Env env, ode::State tensors) {
  Napi::Array out = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) out.Set(i, TensorWrap::wrap(env, std::move(tensors[i])));
  return out;
}

Napi::Value resultObject(Napi::Env env, const SolveRequest& request, ode::VjpSolution outcome) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("state", tensorArray(env, std::move(outcome.y)));
  result.Set("stats", statsObject(env, outcome.stats));
  if (outcome.backwardStats) result.Set("backwardStats", statsObject(env, *outcome.backwardStats));
  if (request.gradient != "none") {
    Napi::Object grads = Napi::Object::New(env);
    grads.Set("state", tensorArray(env, std::move(outcome.stateGrads)));
    Napi::Object parameters = Napi::Object::New(env);
    for (auto& [name, grad] : outcome.parameterGrads) parameters.Set(name, TensorWrap::wrap(env, std::move(grad)));
    grads.Set("parameters", parameters);
    result.Set("grads", grads);
  }
  return result;
}

std::vector<at::Tensor> tensorList(const Napi::Value& value, const std::string& what, bool allowUndefined) {
  if (!value.IsArray()) throwTypeError(value.Env(), what + " must be an array of Tensors");
  const auto array = value.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const Napi::Value item = array.Get(i);
    out.push_back(allowUndefined && item.IsUndefined()
                      ? at::Tensor()
                      : TensorWrap::unwrap(item, what + "[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace

Napi::Value odeSolve(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const OptionReader opts(info[0], "ode.solve");
    SolveRequest r;
    r.module = ScriptModuleWrap::unwrap(opts.value("f"), "ode.solve: f");
    r.secondOrder = opts.oneOf("order", {"second", "first"}) == "second";
    r.state = tensorList(opts.value("state"), "ode.solve: state", false);
    r.s0 = opts.number("s0");
    r.s1 = opts.number("s1");
    r.options.method = opts.string("method");
    r.options.steps = opts.optionalInteger("steps").value_or(0);  // fixed-step methods only
    r.options.rtol = opts.number("rtol");
    r.options.atol = opts.number("atol");
    r.options.maxSteps = opts.integer("maxSteps");
    r.gradient = opts.oneOf("gradient", {"none", "direct", "adjoint"});
    r.options.cudaGraph = opts.boolean("cudaGraph");
    r.precision = precisionNamed(opts.string("precision"), "ode.solve");
    if (opts.has("outputGrads")) r.outputGrads = tensorList(opts.value("outputGrads"), "ode.solve: outputGrads", true);
    opts.finish();

    // Everything checkable before the solve fails here, synchronously.
    ode::validate(r.options);
    r.secondOrder ? ode::validateSecondOrderState(r.state) : ode::validateState(r.state);
    requirePrecision(r.precision, r.state[0].device(), "ode.solve");
    dynamicsOf(r);
    if (r.options.cudaGraph) {
      if (r.gradient != "none")
        throw std::invalid_argument("ode: cudaGraph cannot record gradients (gradient '" + r.gradient + "')");
      if (ode::scriptTakesFloatTime(r.module)) {
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
    auto request = std::make_shared<SolveRequest>(std::move(r));
    auto outcome = std::make_shared<ode::VjpSolution>();
    return runAsync(
        env, [request, outcome] { *outcome = runSolve(*request); },
        [request, outcome](Napi::Env e) { return resultObject(e, *request, std::move(*outcome)); },
        "ODE solve failed: ");
  });
}

Napi::Value odeStageUpdate(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    if (info.Length() != 4 || !info[2].IsArray() || !info[3].IsBoolean()) {
      throwTypeError(env, "stageUpdate(y, ks, coefs, fused) expects a Tensor, Tensors, numbers and a boolean");
    }
    const at::Tensor y = TensorWrap::unwrap(info[0], "stageUpdate: y");
    const std::vector<at::Tensor> ks = tensorList(info[1], "stageUpdate: ks", false);
    const auto coefArray = info[2].As<Napi::Array>();
    std::vector<double> coefs;
    for (uint32_t i = 0; i < coefArray.Length(); ++i) coefs.push_back(coefArray.Get(i).ToNumber().DoubleValue());
    if (coefs.size() != ks.size()) throwTypeError(env, "stageUpdate: one coefficient per k is needed");
    const bool fused = info[3].As<Napi::Boolean>().Value();
    at::Tensor out;
    runOnComputeThread([&] {
      at::NoGradGuard noGrad;
      out = fused ? ode::stageUpdate(y, ks, coefs) : ode::stageUpdateUnfused(y, ks, coefs);
    });
    return TensorWrap::wrap(env, std::move(out));
  });
}

}  // namespace missingu
