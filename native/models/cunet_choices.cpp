#include "models/cunet_choices.h"

#include <stdexcept>

namespace missingu::models {

NormKind normNamed(const std::string& name) {
  if (name == "instance") return NormKind::Instance;
  if (name == "group") return NormKind::Group;
  throw std::invalid_argument("unknown norm '" + name + "': use instance or group");
}

std::string normName(NormKind kind) { return kind == NormKind::Group ? "group" : "instance"; }

Coupling couplingNamed(const std::string& name) {
  if (name == "second-order") return Coupling::SecondOrder;
  if (name == "augmented-first-order") return Coupling::AugmentedFirstOrder;
  throw std::invalid_argument("unknown coupling '" + name + "': use second-order or augmented-first-order");
}

std::string couplingName(Coupling coupling) {
  return coupling == Coupling::SecondOrder ? "second-order" : "augmented-first-order";
}

}  // namespace missingu::models
