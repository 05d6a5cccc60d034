#pragma once
#include <napi.h>

namespace missingu {

// Per-environment state: the constructors that C++ uses to hand new native objects to JS.
struct AddonData {
  Napi::FunctionReference tensorClass;
  Napi::FunctionReference scriptModuleClass;
};

AddonData& addonData(const Napi::Env& env);

}  // namespace missingu
