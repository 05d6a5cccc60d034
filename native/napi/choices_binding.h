#pragma once
#include <napi.h>

namespace missingu {

// choices(): the names native code parses, one list per enum in its table's order ({ samplers, schedules,
// objectives, precisions, norms, activations, couplings, odeMethods }), for the JS side's check that its
// lists (lib/schemas/names.ts) are the same.
Napi::Value choices(const Napi::CallbackInfo& info);

}  // namespace missingu
