#pragma once
#include <napi.h>

#include <optional>

namespace missingu {

// Per-environment state: the constructors that C++ uses to hand new native objects to JS.
struct AddonData {
  Napi::FunctionReference tensorClass;
  Napi::FunctionReference scriptModuleClass;
  Napi::FunctionReference modelClass;
  Napi::FunctionReference errorClass;  // MissingUError, from setErrorClass (empty until then)
  Napi::FunctionReference generatorClass;
};

AddonData& addonData(const Napi::Env& env);

// Symbol.dispose (for `using`), when this Node has it (20.4 and later).
std::optional<Napi::Symbol> disposeSymbol(const Napi::Env& env);

}  // namespace missingu
