#include "napi/tensor.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <c10/util/StringUtil.h>

#include "napi/addon_data.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/options.h"
#include "runtime/device.h"
#include "runtime/dtype_names.h"

#include <optional>
#include <utility>
#include <vector>

namespace missingu {

namespace {

// The element type a JS typed array holds, or nullopt for one a Tensor is not made from.
std::optional<c10::ScalarType> typedArrayDtype(napi_typedarray_type type) {
  switch (type) {
    case napi_float32_array: return c10::kFloat;
    case napi_float64_array: return c10::kDouble;
    case napi_int32_array: return c10::kInt;
    case napi_bigint64_array: return c10::kLong;
    case napi_uint8_array: return c10::kByte;
    default: return std::nullopt;
  }
}

// The typed array a tensor of `type` reads back into: its own type where JS has one, float32 for the
// 16-bit floats, uint8 (0 or 1) for bool.
std::pair<c10::ScalarType, napi_typedarray_type> readBackType(c10::ScalarType type) {
  switch (type) {
    case c10::kDouble: return {c10::kDouble, napi_float64_array};
    case c10::kInt: return {c10::kInt, napi_int32_array};
    case c10::kLong: return {c10::kLong, napi_bigint64_array};
    case c10::kByte:
    case c10::kBool: return {c10::kByte, napi_uint8_array};
    default: return {c10::kFloat, napi_float32_array};
  }
}

const char* const kTensorDataKinds = "a Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array";

}  // namespace

Napi::Function TensorWrap::defineClass(Napi::Env env) {
  std::vector<PropertyDescriptor> properties = {
      InstanceAccessor<&TensorWrap::shape>("shape"),
      InstanceAccessor<&TensorWrap::dtype>("dtype"),
      InstanceAccessor<&TensorWrap::device>("device"),
      InstanceAccessor<&TensorWrap::disposed>("disposed"),
      InstanceMethod<&TensorWrap::toFloat32Array>("toFloat32Array"),
      InstanceMethod<&TensorWrap::toTypedArray>("toTypedArray"),
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

Napi::Value TensorWrap::toTypedArray(const Napi::CallbackInfo& info) {
  return rethrowAsJs(info.Env(), [&]() -> Napi::Value {
    const at::Tensor& source = live(info.Env());
    const auto [type, arrayType] = readBackType(source.scalar_type());
    const int64_t count = source.numel();
    const size_t bytes = static_cast<size_t>(count) * c10::elementSize(type);
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(info.Env(), bytes);
    if (count > 0) {
      void* target = buffer.Data();
      runOnComputeThread([&] { at::from_blob(target, source.sizes(), at::TensorOptions().dtype(type)).copy_(source); });
    }
    napi_value array = nullptr;
    if (napi_create_typedarray(info.Env(), arrayType, static_cast<size_t>(count), buffer, 0, &array) != napi_ok) {
      throw Napi::Error::New(info.Env(), "toTypedArray: could not make the typed array");
    }
    return Napi::Value(info.Env(), array);
  });
}

void TensorWrap::dispose(const Napi::CallbackInfo&) { release(); }

Napi::Value createTensor(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const std::optional<c10::ScalarType> given = info.Length() >= 1 && info[0].IsTypedArray()
                                                     ? typedArrayDtype(info[0].As<Napi::TypedArray>().TypedArrayType())
                                                     : std::nullopt;
    if (info.Length() != 4 || !given || !info[1].IsArray() || !info[2].IsString() ||
        !(info[3].IsString() || info[3].IsUndefined())) {
      throwTypeError(env, std::string("tensor(data, shape, device, dtype) expects ") + kTensorDataKinds +
                              ", an array of sizes, a device and an optional dtype");
    }
    auto data = info[0].As<Napi::TypedArray>();
    const std::vector<int64_t> shape = sizesArgument(info[1], "shape", 0);
    int64_t count = 1;
    for (int64_t size : shape) count *= size;
    if (count != static_cast<int64_t>(data.ElementLength())) {
      throw Napi::RangeError::New(env, "shape [" + c10::Join(", ", shape) + "] holds " + std::to_string(count) +
                                           " elements but data has " + std::to_string(data.ElementLength()));
    }
    const c10::Device device = resolveDevice(info[2].As<Napi::String>().Utf8Value());
    const c10::ScalarType dtype =
        info[3].IsString() ? dtypeNames().parse(info[3].As<Napi::String>().Utf8Value(), "dtype") : *given;
    const auto options = at::TensorOptions().dtype(dtype).device(device);
    at::Tensor tensor;
    void* source = static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset();
    // The copy may run parallel kernels: on the compute thread, while this thread waits (so the
    // typed array stays put). copy_ converts to `dtype` as it goes.
    runOnComputeThread([&] {
      tensor = at::empty(shape, options);
      if (count > 0) tensor.copy_(at::from_blob(source, shape, at::TensorOptions().dtype(*given)));
    });
    return TensorWrap::wrap(env, std::move(tensor));
  });
}

}  // namespace missingu
