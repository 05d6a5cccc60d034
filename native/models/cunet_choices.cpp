#include "models/cunet_choices.h"

#include "runtime/name_table.h"

namespace missingu::models {
namespace {

const NameTable<NormKind>& norms() {
  static const NameTable<NormKind> table{{"instance", NormKind::Instance}, {"group", NormKind::Group}};
  return table;
}

const NameTable<Coupling>& couplings() {
  static const NameTable<Coupling> table{{"second-order", Coupling::SecondOrder},
                                         {"augmented-first-order", Coupling::AugmentedFirstOrder}};
  return table;
}

}  // namespace

NormKind normNamed(const std::string& name) { return norms().parse(name, "norm"); }

std::string normName(NormKind kind) { return norms().name(kind); }

std::vector<std::string> normNames() { return norms().names(); }

Coupling couplingNamed(const std::string& name) { return couplings().parse(name, "coupling"); }

std::string couplingName(Coupling coupling) { return couplings().name(coupling); }

std::vector<std::string> couplingNames() { return couplings().names(); }

}  // namespace missingu::models
