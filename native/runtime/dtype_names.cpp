#include "runtime/dtype_names.h"

namespace missingu {

const NameTable<c10::ScalarType>& dtypeNames() {
  static const NameTable<c10::ScalarType> table{
      {"float32", c10::kFloat}, {"float64", c10::kDouble}, {"float16", c10::kHalf}, {"bfloat16", c10::kBFloat16},
      {"int64", c10::kLong},    {"int32", c10::kInt},      {"uint8", c10::kByte},   {"bool", c10::kBool},
  };
  return table;
}

std::string dtypeName(c10::ScalarType type) {
  const std::string* name = dtypeNames().nameOf(type);
  return name ? *name : c10::toString(type);
}

}  // namespace missingu
