#include "napi/tensor.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <c10/util/StringUtil.h>

#include "napi/addon_data.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/options.h"
#include "runtime/device.h"

#include <vector>

namespace missingu {

std::string dtypeName(c10::ScalarType type) {
  switch (type) {
    case c10::kFloat: return "float32";
    case c10::kDouble: return "float64";
    case c10::kHalf: return "float16";
    case c10::kBFloat16: return "bfloat16";
    case c10::kLong: return "int64";
    case c10::kInt: return "int32";
    case c10::kByte: return "uint8";
    case c10::kBool: return "bool";
    default: return c10::toString(type);
  }
}

Napi::Function TensorWrap::defineClass(Napi::Env env) {
  std::vector<PropertyDescriptor> properties = {
      InstanceAccessor<&TensorWrap::shape>("shape"),
      InstanceAccessor<&TensorWrap::dtype>("dtype"),
      InstanceAccessor<&TensorWrap::device>("device"),
      InstanceAccessor<&TensorWrap::disposed>("disposed"),
      InstanceMethod<&TensorWrap::toFloat32Array>("toFloat32Array"),
      InstanceMethod<&TensorWrap::dispose>("dispose"),
  };
  if (const auto symbol = disposeSymbol(env)) properties.push_back(InstanceMethod<&TensorWrap::dispose>(*symbol));
  return DefineClass(env, "Tensor", properties);
}

Napi::Object TensorWrap::wrap(Napi::Env env, at::Tensor tensor) {
  return addonData(env).tensorClass.New({Napi::External<at::Tensor>::New(env, &tensor)});
}

at::Tensor TensorWrap::unwrap(const Napi::Value& value, const std::string& what) {
  const Napi::Env env = value.Env();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(addonData(env).tensorClass.Value())) {
    throwTypeError(env, what + " must be a Tensor (made with tensor(data, shape))");
  }
  const TensorWrap* self = Unwrap(value.As<Napi::Object>());
  if (!self->tensor_) throwTypeError(env, what + " is a disposed Tensor; it cannot be used after dispose()");
  return *self->tensor_;
}

TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throwTypeError(info.Env(), "Tensor cannot be constructed directly: use tensor(data, shape, { device })");
  }
  tensor_ = std::move(*info[0].As<Napi::External<at::Tensor>>().Data());
  accountedBytes_ = static_cast<int64_t>(tensor_->nbytes());
  Napi::MemoryManagement::AdjustExternalMemory(info.Env(), accountedBytes_);
}

TensorWrap::~TensorWrap() { release(); }

void TensorWrap::release() {
  if (!tensor_) return;
  tensor_.reset();
  Napi::MemoryManagement::AdjustExternalMemory(Env(), -accountedBytes_);
  accountedBytes_ = 0;
}

const at::Tensor& TensorWrap::live(const Napi::Env& env) const {
  if (!tensor_) throw jsError(env, "this Tensor was disposed; it cannot be used after dispose()", ErrorCode::Option);
  return *tensor_;
}

Napi::Value TensorWrap::shape(const Napi::CallbackInfo& info) {
  const auto sizes = live(info.Env()).sizes();
  Napi::Array out = Napi::Array::New(info.Env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) out.Set(i, Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
  return out;
}

Napi::Value TensorWrap::dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), dtypeName(live(info.Env()).scalar_type()));
}

Napi::Value TensorWrap::device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), live(info.Env()).device().str());
}

Napi::Value TensorWrap::disposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !tensor_.has_value());
}

Napi::Value TensorWrap::toFloat32Array(const Napi::CallbackInfo& info) {
  return rethrowAsJs(info.Env(), [&]() -> Napi::Value {
    const at::Tensor& source = live(info.Env());
    const int64_t count = source.numel();
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(info.Env(), static_cast<size_t>(count) * sizeof(float));
    if (count > 0) {
      // One pass: copy_ converts dtype, gathers strides and moves off the device into JS memory.
      void* target = buffer.Data();
      runOnComputeThread(
          [&] { at::from_blob(target, source.sizes(), at::TensorOptions().dtype(at::kFloat)).copy_(source); });
    }
    return Napi::Float32Array::New(info.Env(), static_cast<size_t>(count), buffer, 0);
  });
}

void TensorWrap::dispose(const Napi::CallbackInfo&) { release(); }

Napi::Value createTensor(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    if (info.Length() != 3 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || !info[1].IsArray() ||
        !info[2].IsString()) {
      throwTypeError(env, "tensor(data, shape, device) expects a Float32Array, an array of sizes and a device");
    }
    auto data = info[0].As<Napi::Float32Array>();
    const std::vector<int64_t> shape = sizesArgument(info[1], "shape", 0);
    int64_t count = 1;
    for (int64_t size : shape) count *= size;
    if (count != static_cast<int64_t>(data.ElementLength())) {
      throw Napi::RangeError::New(env, "shape [" + c10::Join(", ", shape) + "] holds " + std::to_string(count) +
                                           " elements but data has " + std::to_string(data.ElementLength()));
    }
    const c10::Device device = resolveDevice(info[2].As<Napi::String>().Utf8Value());
    const auto options = at::TensorOptions().dtype(at::kFloat).device(device);
    at::Tensor tensor;
    float* source = data.Data();
    // The copy may run parallel kernels: on the compute thread, while this thread waits (so the
    // Float32Array stays put).
    runOnComputeThread([&] {
      tensor = at::empty(shape, options);
      if (count > 0) tensor.copy_(at::from_blob(source, shape, at::TensorOptions().dtype(at::kFloat)));
    });
    return TensorWrap::wrap(env, std::move(tensor));
  });
}

}  // namespace missingu
