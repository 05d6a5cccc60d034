#include "napi/model_options.h"

#include "models/activation.h"
#include "models/cunet_choices.h"
#include "models/presets.h"

namespace missingu {

models::ModelSpec readModelSpec(const OptionReader& opts) {
  models::ModelSpec spec;
  spec.preset = opts.string("preset");
  spec.width = opts.optionalInteger("width", 1, models::kMaxWidth).value_or(0);  // absent: the preset's
  models::CUNetSettings& cunet = spec.cunet;
  if (opts.has("norm")) cunet.norm = models::normNamed(opts.oneOf("norm", models::normNames()));
  if (opts.has("activation")) {
    cunet.activation = models::activationNamed(opts.oneOf("activation", models::activationNames()));
  }
  if (opts.has("coupling")) cunet.coupling = models::couplingNamed(opts.oneOf("coupling", models::couplingNames()));
  if (opts.has("ode")) {
    const OptionReader ode = opts.child("ode");
    cunet.ode.method = ode.optionalString("method");
    cunet.ode.steps = ode.optionalInteger("steps", 1, 1000);
    cunet.ode.adjoint = ode.optionalBoolean("adjoint");
    cunet.ode.rtol = ode.optionalNumber("rtol");
    cunet.ode.atol = ode.optionalNumber("atol");
    ode.finish();
  }
  spec.channelsLast = opts.optionalBoolean("channelsLast");
  return spec;
}

Precision optionalPrecision(const OptionReader& opts, const std::string& where, Precision absent) {
  const auto name = opts.optionalString("precision");
  return name ? precisionNamed(*name, where) : absent;
}

}  // namespace missingu
