#include "napi/kernels_binding.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/softplus.h>
#include <torch/csrc/autograd/autograd.h>

#include "kernels/softplus.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/tensor.h"

namespace missingu {

Napi::Value kernelSoftplus(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const at::Tensor x = TensorWrap::unwrap(info[0], "kernelSoftplus: x");
    const at::Tensor dy = TensorWrap::unwrap(info[1], "kernelSoftplus: dy");
    if (!info[2].IsBoolean() || !info[3].IsString()) throwTypeError(env, "kernelSoftplus(x, dy, fused, dtype)");
    const bool fused = info[2].As<Napi::Boolean>().Value();
    const std::string dtype = info[3].As<Napi::String>().Utf8Value();
    if (dtype != "float32" && dtype != "bfloat16") throwTypeError(env, "kernelSoftplus: dtype float32 or bfloat16");
    const auto type = dtype == "float32" ? at::kFloat : at::kBFloat16;
    at::Tensor y, dx;
    runOnComputeThread([&] {
      at::AutoGradMode grad(true);
      const at::Tensor input = x.to(type).detach().requires_grad_(true);
      const at::Tensor out = fused ? kernels::softplus(input) : at::softplus(input);
      dx = torch::autograd::grad({out}, {input}, {dy.to(type)})[0].to(at::kFloat);
      y = out.detach().to(at::kFloat);
    });
    Napi::Object result = Napi::Object::New(env);
    result.Set("y", TensorWrap::wrap(env, y));
    result.Set("dx", TensorWrap::wrap(env, dx));
    return result;
  });
}

}  // namespace missingu
