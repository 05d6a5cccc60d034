#pragma once
#include <napi.h>

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>

namespace missingu {

// A JS-owned handle on an at::Tensor. dispose() releases it at once; the finalizer is the backstop.
// Its byte size is reported to V8 as external memory so the GC sees native allocations.
class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Function defineClass(Napi::Env env);
  static Napi::Object wrap(Napi::Env env, at::Tensor tensor);
  // The tensor that `value` holds; a TypeError naming `what` when it is not a live Tensor.
  static at::Tensor unwrap(const Napi::Value& value, const std::string& what);

  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;

 private:
  Napi::Value shape(const Napi::CallbackInfo& info);
  Napi::Value dtype(const Napi::CallbackInfo& info);
  Napi::Value device(const Napi::CallbackInfo& info);
  Napi::Value disposed(const Napi::CallbackInfo& info);
  Napi::Value toFloat32Array(const Napi::CallbackInfo& info);
  Napi::Value toTypedArray(const Napi::CallbackInfo& info);
  void dispose(const Napi::CallbackInfo& info);

  const at::Tensor& live(const Napi::Env& env) const;
  void release();

  std::optional<at::Tensor> tensor_;
  int64_t accountedBytes_ = 0;
};

// tensor(data: a typed array, shape: number[], device: string, dtype?: string): one copy into a new
// native tensor of `dtype` (default: the typed array's own element type).
Napi::Value createTensor(const Napi::CallbackInfo& info);

}  // namespace missingu
