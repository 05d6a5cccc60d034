#pragma once
#include <napi.h>

#include <ATen/core/Generator.h>

#include <optional>
#include <string>

namespace missingu {

// A seeded PyTorch CPU generator (torch.Generator().manual_seed(seed)) that JS holds across calls:
// randn(shape) continues its stream, so a step-wise loop draws the noise `sample` draws.
class GeneratorWrap : public Napi::ObjectWrap<GeneratorWrap> {
 public:
  static Napi::Function defineClass(Napi::Env env);
  // The generator `value` holds; a TypeError naming `what` when it is not a live Generator.
  static at::Generator unwrap(const Napi::Value& value, const std::string& what);

  explicit GeneratorWrap(const Napi::CallbackInfo& info);  // new Generator(seed)

 private:
  Napi::Value randn(const Napi::CallbackInfo& info);
  void dispose(const Napi::CallbackInfo& info);

  std::optional<at::Generator> generator_;
};

}  // namespace missingu
