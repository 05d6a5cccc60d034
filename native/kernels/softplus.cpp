#include "kernels/softplus.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/softplus.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include "kernels/softplus_cpu.h"

namespace missingu::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

bool fusable(const at::Tensor& t) {
  return t.device().is_cpu() && t.is_contiguous() &&
         (t.scalar_type() == at::kFloat || t.scalar_type() == at::kBFloat16);
}

at::Tensor forwardKernel(const at::Tensor& x) {
  RECORD_FUNCTION("missing_u::softplus", std::vector<c10::IValue>({x}));
  at::Tensor y = at::empty_like(x);
  if (x.scalar_type() == at::kFloat) {
    kernels::softplus(x.const_data_ptr<float>(), y.mutable_data_ptr<float>(), x.numel());
  } else {
    kernels::softplus(reinterpret_cast<const uint16_t*>(x.const_data_ptr<at::BFloat16>()),
                      reinterpret_cast<uint16_t*>(y.mutable_data_ptr<at::BFloat16>()), x.numel());
  }
  return y;
}

at::Tensor backwardKernel(const at::Tensor& x, const at::Tensor& dy) {
  RECORD_FUNCTION("missing_u::softplus_backward", std::vector<c10::IValue>({x, dy}));
  at::Tensor dx = at::empty_like(x);
  if (x.scalar_type() == at::kFloat) {
    softplusBackward(x.const_data_ptr<float>(), dy.const_data_ptr<float>(), dx.mutable_data_ptr<float>(), x.numel());
  } else {
    softplusBackward(reinterpret_cast<const uint16_t*>(x.const_data_ptr<at::BFloat16>()),
                     reinterpret_cast<const uint16_t*>(dy.const_data_ptr<at::BFloat16>()),
                     reinterpret_cast<uint16_t*>(dx.mutable_data_ptr<at::BFloat16>()), x.numel());
  }
  return dx;
}

struct Softplus : public torch::autograd::Function<Softplus> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x) {
    ctx->save_for_backward({x});
    return forwardKernel(x);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    at::Tensor dy = grads[0].to(x.scalar_type()).contiguous();
    return {backwardKernel(x, dy)};
  }
};

}  // namespace

at::Tensor softplus(const at::Tensor& x) {
  if (!fusable(x)) return at::softplus(x);
  return Softplus::apply(x);
}

SoftplusPass softplusPass(const at::Tensor& x, const at::Tensor& dy, bool fused, at::ScalarType dtype) {
  at::AutoGradMode grad(true);
  const at::Tensor input = x.to(dtype).detach().requires_grad_(true);
  const at::Tensor out = fused ? kernels::softplus(input) : at::softplus(input);
  SoftplusPass pass;
  pass.dx = torch::autograd::grad({out}, {input}, {dy.to(dtype)})[0].to(at::kFloat);
  pass.y = out.detach().to(at::kFloat);
  return pass;
}

}  // namespace missingu::kernels
