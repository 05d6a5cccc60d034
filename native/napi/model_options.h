#pragma once
// Reads what models.create and a training config's model section say about a network into a ModelSpec.
#include "models/model_spec.h"
#include "napi/options.h"

namespace missingu {

// preset (required), norm, activation, coupling and ode { method, steps, adjoint, rtol, atol } (each
// optional: absent keeps the preset's). Image size and channels are the caller's to read.
models::ModelSpec readModelSpec(const OptionReader& opts);

}  // namespace missingu
