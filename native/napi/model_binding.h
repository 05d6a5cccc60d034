#pragma once
#include <napi.h>

#include <c10/core/Device.h>

#include <memory>
#include <string>

#include "models/denoiser.h"
#include "models/model_spec.h"
#include "runtime/precision.h"

namespace missingu {

// A built-in denoiser (models.create). forward runs on a worker thread; accounting is synchronous.
// Its parameter and buffer bytes are reported to V8 as external memory (as a Tensor's are), so
// undisposed models drive the garbage collector; dispose() or the finalizer gives them back.
class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function defineClass(Napi::Env env);
  explicit ModelWrap(const Napi::CallbackInfo& info);
  ~ModelWrap() override;

  // A live model and what built it (resolved: image size and channels filled in by models::resolve).
  struct Spec {
    std::shared_ptr<models::DenoiserImpl> model;
    models::ModelSpec spec;
    c10::Device device{c10::kCPU};
    Precision precision = Precision::Fp32;  // what forward, sample, denoise and eval run in unless told
  };
  // A new JS Model around an existing native model.
  static Napi::Object wrap(Napi::Env env, Spec spec);
  // The model behind `value`; a TypeError naming `what` when it is not a live Model.
  static Spec unwrap(const Napi::Value& value, const std::string& what);
  // Whether `value` is a Model.
  static bool isModel(const Napi::Value& value);

 private:
  Napi::Value preset(const Napi::CallbackInfo& info);
  Napi::Value imageSize(const Napi::CallbackInfo& info);
  Napi::Value channels(const Napi::CallbackInfo& info);
  Napi::Value width(const Napi::CallbackInfo& info);
  Napi::Value device(const Napi::CallbackInfo& info);
  Napi::Value precision(const Napi::CallbackInfo& info);
  Napi::Value parameterCount(const Napi::CallbackInfo& info);
  Napi::Value parameters(const Napi::CallbackInfo& info);
  Napi::Value flops(const Napi::CallbackInfo& info);
  Napi::Value peakMemory(const Napi::CallbackInfo& info);
  Napi::Value forward(const Napi::CallbackInfo& info);
  Napi::Value gradientNorms(const Napi::CallbackInfo& info);
  Napi::Value profile(const Napi::CallbackInfo& info);
  Napi::Value stateDict(const Napi::CallbackInfo& info);
  void loadStateDict(const Napi::CallbackInfo& info);
  void dispose(const Napi::CallbackInfo& info);
  const std::shared_ptr<models::DenoiserImpl>& live(const Napi::Env& env) const;
  void account(Napi::Env env);  // reports the model's bytes to V8
  void release();               // drops the model and gives its bytes back

  Spec spec_;  // spec_.model is null once disposed
  int64_t accountedBytes_ = 0;
};

// modelsCreate({ preset, device, imageSize?, channels?, width?, seed?, norm?, activation?, coupling?, ode? }) -> Model
Napi::Value modelsCreate(const Napi::CallbackInfo& info);
// modelsPresets() -> [{ name, description, family, imageSize, channels, sizeMultiple, minImageSize, maxImageSize }]
Napi::Value modelsPresets(const Napi::CallbackInfo& info);
// modelsCheckImageSize(preset, imageSize) -> why the preset cannot take that image side, or null
Napi::Value modelsCheckImageSize(const Napi::CallbackInfo& info);

}  // namespace missingu
