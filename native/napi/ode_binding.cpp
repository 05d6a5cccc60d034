#include "napi/ode_binding.h"

#include <ATen/core/grad_mode.h>

#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/options.h"
#include "napi/script_module.h"
#include "napi/tensor.h"
#include "ode/script_solve.h"
#include "ode/stage_update.h"

#include <memory>
#include <utility>

namespace missingu {
namespace {

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

Napi::Value resultObject(Napi::Env env, const ode::ScriptSolve& request, ode::VjpSolution outcome) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("state", tensorArray(env, std::move(outcome.y)));
  result.Set("stats", statsObject(env, outcome.stats));
  if (outcome.backwardStats) result.Set("backwardStats", statsObject(env, *outcome.backwardStats));
  if (request.gradient) {
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
    ode::ScriptSolve r;
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
    const std::string gradient = opts.oneOf("gradient", {"none", "direct", "adjoint"});
    if (gradient != "none")
      r.gradient = gradient == "adjoint" ? ode::GradientMethod::Adjoint : ode::GradientMethod::Direct;
    r.options.cudaGraph = opts.boolean("cudaGraph");
    r.precision = precisionNamed(opts.string("precision"), "ode.solve");
    if (opts.has("outputGrads")) r.outputGrads = tensorList(opts.value("outputGrads"), "ode.solve: outputGrads", true);
    opts.finish();
    ode::validate(r);  // everything checkable before the solve fails here, synchronously
    auto request = std::make_shared<ode::ScriptSolve>(std::move(r));
    auto outcome = std::make_shared<ode::VjpSolution>();
    return runAsync(
        env, [request, outcome] { *outcome = ode::solveScript(*request); },
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
