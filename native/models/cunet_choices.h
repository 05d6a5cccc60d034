#pragma once
// The named choices of a cU-Net's layers: the normalisation in its ODE functions and how an ODE block
// couples h and v. Read by name from models.create's options and training configs.
#include <string>

namespace missingu::models {

enum class NormKind { Instance, Group };
NormKind normNamed(const std::string& name);  // 'instance' | 'group'; std::invalid_argument otherwise
std::string normName(NormKind kind);

enum class Coupling {
  SecondOrder,          // z = [h; v]: dh/ds = v, dv/ds = f(z) (+ h with the residual)
  AugmentedFirstOrder,  // the official code: dz/ds = f(z) (+ z with the residual)
};
// 'second-order' | 'augmented-first-order'; std::invalid_argument otherwise.
Coupling couplingNamed(const std::string& name);
std::string couplingName(Coupling coupling);

}  // namespace missingu::models
