#include "models/model_spec.h"

#include <c10/util/StringUtil.h>

#include <vector>

namespace missingu::models {

std::string describe(const ModelSpec& spec) {
  std::vector<std::string> choices;
  const CUNetSettings& c = spec.cunet;
  if (spec.width > 0) choices.push_back("width " + std::to_string(spec.width));
  if (c.norm) choices.push_back("norm " + normName(*c.norm));
  if (c.activation) choices.push_back("activation " + activationName(*c.activation));
  if (c.coupling) choices.push_back("coupling " + couplingName(*c.coupling));
  if (c.ode.method) choices.push_back("ode.method " + *c.ode.method);
  if (c.ode.steps) choices.push_back("ode.steps " + std::to_string(*c.ode.steps));
  if (c.ode.adjoint) choices.push_back(std::string("ode.adjoint ") + (*c.ode.adjoint ? "true" : "false"));
  if (c.ode.rtol) choices.push_back("ode.rtol " + c10::str(*c.ode.rtol));
  if (c.ode.atol) choices.push_back("ode.atol " + c10::str(*c.ode.atol));
  if (spec.channelsLast) choices.push_back(std::string("channelsLast ") + (*spec.channelsLast ? "true" : "false"));
  const std::string options = choices.empty() ? "" : " (" + c10::Join(", ", choices) + ")";
  const std::string side = std::to_string(spec.imageSize);
  return spec.preset + options + " for " + std::to_string(spec.channels) + "x" + side + "x" + side + " images";
}

}  // namespace missingu::models
