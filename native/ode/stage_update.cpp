#include "ode/stage_update.h"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/abs.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/maximum.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/zeros_like.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/custom_function.h>

#include "ode/stage_update_cpu.h"
#ifdef MISSING_U_WITH_CUDA
#include "cuda/stage_update_cuda.h"
#endif

namespace missingu::ode {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Terms {
  std::vector<at::Tensor> ks;
  std::vector<double> coefs;
};

Terms nonZero(const std::vector<at::Tensor>& ks, const std::vector<double>& coefs) {
  Terms terms;
  for (size_t i = 0; i < ks.size(); ++i) {
    if (coefs[i] == 0.0) continue;
    terms.ks.push_back(ks[i]);
    terms.coefs.push_back(coefs[i]);
  }
  return terms;
}

bool cpuFusable(const at::Tensor& y, const std::vector<at::Tensor>& ks) {
  const auto ok = [&](const at::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.is_contiguous() && t.sizes() == y.sizes();
  };
  if (!ok(y)) return false;
  for (const at::Tensor& k : ks) {
    if (!ok(k)) return false;
  }
  return true;
}

// Whether one of the fused kernels takes these tensors: the CPU one, or in the CUDA build the CUDA one.
bool fusable(const at::Tensor& y, const std::vector<at::Tensor>& ks) {
#ifdef MISSING_U_WITH_CUDA
  if (cuda::stageUpdateSupported(y, ks)) return true;
#endif
  return cpuFusable(y, ks);
}

std::vector<const float*> pointers(const std::vector<at::Tensor>& ks) {
  std::vector<const float*> out;
  for (const at::Tensor& k : ks) out.push_back(k.const_data_ptr<float>());
  return out;
}

std::vector<float> asFloat(const std::vector<double>& coefs) { return {coefs.begin(), coefs.end()}; }

at::Tensor fusedForward(const at::Tensor& y, const std::vector<at::Tensor>& ks, const std::vector<double>& coefs) {
  RECORD_FUNCTION("missing_u::stage_update", std::vector<c10::IValue>({y}));
#ifdef MISSING_U_WITH_CUDA
  if (y.is_cuda()) return cuda::stageUpdate(y, ks, coefs);
#endif
  at::Tensor out = at::empty_like(y);
  cpu::combine(out.mutable_data_ptr<float>(), y.const_data_ptr<float>(), pointers(ks), asFloat(coefs), y.numel());
  return out;
}

// Autograd wrapper: d out / d y = 1, d out / d k_i = c_i.
struct FusedStageUpdate : public torch::autograd::Function<FusedStageUpdate> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& y, at::TensorList ks,
                            const std::vector<double>& coefs) {
    ctx->saved_data["coefs"] = coefs;
    return fusedForward(y, ks.vec(), coefs);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const std::vector<double> coefs = ctx->saved_data["coefs"].toDoubleVector();
    const at::Tensor& g = grads[0];
    variable_list out = {g};
    for (double c : coefs) out.push_back(g * c);
    out.emplace_back();  // coefs
    return out;
  }
};

}  // namespace

at::Tensor stageUpdateUnfused(const at::Tensor& y, const std::vector<at::Tensor>& ks,
                              const std::vector<double>& coefs) {
  at::Tensor out = y;
  for (size_t i = 0; i < ks.size(); ++i) {
    if (coefs[i] != 0.0) out = out.add(ks[i], coefs[i]);
  }
  return out;
}

at::Tensor stageUpdate(const at::Tensor& y, const std::vector<at::Tensor>& ks, const std::vector<double>& coefs) {
  const Terms terms = nonZero(ks, coefs);
  if (!fusable(y, terms.ks)) return stageUpdateUnfused(y, terms.ks, terms.coefs);
  bool needsGrad = false;
  if (at::GradMode::is_enabled()) {
    needsGrad = y.requires_grad();
    for (const at::Tensor& k : terms.ks) needsGrad = needsGrad || k.requires_grad();
  }
  // TensorList (not std::vector) so that autograd sees each k as an input.
  if (needsGrad) return FusedStageUpdate::apply(y, at::TensorList(terms.ks), terms.coefs);
  return fusedForward(y, terms.ks, terms.coefs);
}

at::Tensor scaledErrorSumOfSquares(const at::Tensor& y0, const at::Tensor& y1, const std::vector<at::Tensor>& ks,
                                   const std::vector<double>& coefs, double rtol, double atol) {
  at::NoGradGuard noGrad;
  const Terms terms = nonZero(ks, coefs);
  if (cpuFusable(y0, terms.ks) && cpuFusable(y1, {})) {
    const double sum = cpu::scaledErrorSumOfSquares(y0.const_data_ptr<float>(), y1.const_data_ptr<float>(),
                                                    pointers(terms.ks), asFloat(terms.coefs), static_cast<float>(rtol),
                                                    static_cast<float>(atol), y0.numel());
    return at::scalar_tensor(sum, at::TensorOptions().dtype(at::kDouble));
  }
  at::Tensor error = at::zeros_like(y0);
  error = stageUpdateUnfused(error, terms.ks, terms.coefs);
  const at::Tensor scale = at::maximum(y0.abs(), y1.abs()).mul_(rtol).add_(atol);
  return error.div_(scale).square_().sum(at::kDouble);
}

}  // namespace missingu::ode
