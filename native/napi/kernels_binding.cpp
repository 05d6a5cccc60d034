#include "napi/kernels_binding.h"

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
    kernels::SoftplusPass pass;
    runOnComputeThread([&] { pass = kernels::softplusPass(x, dy, fused, type); });
    Napi::Object result = Napi::Object::New(env);
    result.Set("y", TensorWrap::wrap(env, pass.y));
    result.Set("dx", TensorWrap::wrap(env, pass.dx));
    return result;
  });
}

}  // namespace missingu
