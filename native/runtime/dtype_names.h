#pragma once
// The element types a Tensor crosses the JS boundary with, by the names the JS side gives them
// (lib/schemas/names.ts DTYPES).
#include <c10/core/ScalarType.h>

#include <string>

#include "runtime/name_table.h"

namespace missingu {

const NameTable<c10::ScalarType>& dtypeNames();

// The table's name for `type`, else c10's own (a tensor a TorchScript module returns may hold any type).
std::string dtypeName(c10::ScalarType type);

}  // namespace missingu
