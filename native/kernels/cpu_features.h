#pragma once
// Explicit-vector kernels are compiled twice, for AVX2 + FMA and for the baseline x86-64, and chosen at
// run time, so one prebuilt binary runs everywhere. (GCC's target_clones dispatch picked the baseline
// clone on the AMD EPYC machines missing-u is measured on, AVX2 notwithstanding: docs/performance.md.)
#define MISSING_U_AVX2_FMA __attribute__((target("avx2,fma")))

namespace missingu::kernels {

// Whether this CPU runs AVX2 and FMA instructions.
bool hasAvx2Fma();

// `avx2` where the CPU has AVX2 and FMA, `baseline` otherwise.
template <typename F>
F pick(F avx2, F baseline) {
  return hasAvx2Fma() ? avx2 : baseline;
}

}  // namespace missingu::kernels
