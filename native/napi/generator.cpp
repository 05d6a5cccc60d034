#include "napi/generator.h"

#include <ATen/CPUGeneratorImpl.h>

#include <vector>

#include "diffusion/sampler.h"
#include "napi/addon_data.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/options.h"
#include "napi/tensor.h"

namespace missingu {

Napi::Function GeneratorWrap::defineClass(Napi::Env env) {
  std::vector<PropertyDescriptor> properties = {
      InstanceMethod<&GeneratorWrap::randn>("randn"),
      InstanceMethod<&GeneratorWrap::dispose>("dispose"),
  };
  if (const auto symbol = disposeSymbol(env)) properties.push_back(InstanceMethod<&GeneratorWrap::dispose>(*symbol));
  return DefineClass(env, "Generator", properties);
}

GeneratorWrap::GeneratorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GeneratorWrap>(info) {
  rethrowAsJs(info.Env(),
              [&] { generator_ = at::make_generator<at::CPUGeneratorImpl>(seedArgument(info[0], "Generator: seed")); });
}

at::Generator GeneratorWrap::unwrap(const Napi::Value& value, const std::string& what) {
  const Napi::Env env = value.Env();
  const bool isGenerator =
      value.IsObject() && value.As<Napi::Object>().InstanceOf(addonData(env).generatorClass.Value());
  const GeneratorWrap* self = isGenerator ? Unwrap(value.As<Napi::Object>()) : nullptr;
  if (self == nullptr || !self->generator_)
    throwTypeError(env, what + " must be a live Generator (new Generator(seed))");
  return *self->generator_;
}

Napi::Value GeneratorWrap::randn(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    at::Generator generator = unwrap(Value(), "randn: this");
    const std::vector<int64_t> shape = sizesArgument(info[0], "randn: shape", 0);
    at::Tensor out;
    runOnComputeThread([&] { out = diffusion::drawNormal(generator, shape); });
    return TensorWrap::wrap(env, out);
  });
}

void GeneratorWrap::dispose(const Napi::CallbackInfo&) { generator_.reset(); }

}  // namespace missingu
