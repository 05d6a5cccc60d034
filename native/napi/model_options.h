#pragma once
// Reads what models.create and a training config's model section say about a network into a ModelSpec.
#include "models/model_spec.h"
#include "napi/options.h"
#include "runtime/precision.h"

namespace missingu {

// preset (required), norm, activation, coupling and ode { method, steps, adjoint, rtol, atol } (each
// optional: absent keeps the preset's). Image size and channels are the caller's to read.
models::ModelSpec readModelSpec(const OptionReader& opts);

// The optional `precision` key of models.create, sample, denoise and profile: 'fp32' | 'bf16' | 'fp16', or
// `absent` when it is not given; std::invalid_argument naming `where` for another name.
Precision optionalPrecision(const OptionReader& opts, const std::string& where, Precision absent);

}  // namespace missingu
