#pragma once
// The named choices of a cU-Net's layers: the normalisation in its ODE functions and how an ODE block
// couples h and v. Read by name from models.create's options and training configs; each name is written
// once, in cunet_choices.cpp's tables.
#include <string>
#include <vector>

namespace missingu::models {

enum class NormKind { Instance, Group };
NormKind normNamed(const std::string& name);  // std::invalid_argument naming the norms otherwise
std::string normName(NormKind kind);
std::vector<std::string> normNames();

enum class Coupling {
  SecondOrder,          // z = [h; v]: dh/ds = v, dv/ds = f(z) (+ h with the residual)
  AugmentedFirstOrder,  // the official code: dz/ds = f(z) (+ z with the residual)
};
Coupling couplingNamed(const std::string& name);  // std::invalid_argument naming the couplings otherwise
std::string couplingName(Coupling coupling);
std::vector<std::string> couplingNames();

}  // namespace missingu::models
