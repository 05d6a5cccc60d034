#include "kernels/cpu_features.h"

namespace missingu::kernels {

bool hasAvx2Fma() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return has;
}

}  // namespace missingu::kernels
