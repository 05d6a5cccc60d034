#include "ode/stage_update_cpu.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "kernels/cpu_features.h"

// Explicit 8-lane vectors (GCC vector extensions), compiled for AVX2 + FMA and for the baseline and
// chosen at run time (kernels/cpu_features.h). The term count is a template parameter so pointers and
// coefficients live in registers.

namespace missingu::ode::cpu {
namespace {

typedef float Vec __attribute__((vector_size(32)));
constexpr int64_t kLanes = 8;
constexpr int kMaxTerms = 7;  // dopri5 has 7 stages
constexpr int64_t kGrain = 16 * 1024;

inline __attribute__((always_inline)) Vec load(const float* p) {
  Vec v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

inline __attribute__((always_inline)) void store(float* p, Vec v) { __builtin_memcpy(p, &v, sizeof v); }

template <int Terms>
inline __attribute__((always_inline)) void combineBody(float* out, const float* y, const float* const* ks,
                                                       const float* coefs, int64_t begin, int64_t end) {
  const float* k[Terms > 0 ? Terms : 1];
  float c[Terms > 0 ? Terms : 1];
  for (int j = 0; j < Terms; ++j) {
    k[j] = ks[j];
    c[j] = coefs[j];
  }
  int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes) {
    Vec acc = load(y + i);
#pragma GCC unroll 8
    for (int j = 0; j < Terms; ++j) acc += c[j] * load(k[j] + i);
    store(out + i, acc);
  }
  for (; i < end; ++i) {
    float acc = y[i];
    for (int j = 0; j < Terms; ++j) acc += c[j] * k[j][i];
    out[i] = acc;
  }
}

template <int Terms>
inline __attribute__((always_inline)) double errorBody(const float* y0, const float* y1, const float* const* ks,
                                                       const float* coefs, float rtol, float atol, int64_t begin,
                                                       int64_t end) {
  const float* k[Terms > 0 ? Terms : 1];
  float c[Terms > 0 ? Terms : 1];
  for (int j = 0; j < Terms; ++j) {
    k[j] = ks[j];
    c[j] = coefs[j];
  }
  double sum = 0.0;
  for (int64_t i = begin; i < end; ++i) {
    float error = 0.0f;
    for (int j = 0; j < Terms; ++j) error += c[j] * k[j][i];
    const float ratio = error / (atol + rtol * std::max(std::fabs(y0[i]), std::fabs(y1[i])));
    sum += static_cast<double>(ratio) * ratio;
  }
  return sum;
}

template <int Terms>
MISSING_U_AVX2_FMA void combineAvx2(float* out, const float* y, const float* const* ks, const float* coefs,
                                    int64_t begin, int64_t end) {
  combineBody<Terms>(out, y, ks, coefs, begin, end);
}
template <int Terms>
void combineBaseline(float* out, const float* y, const float* const* ks, const float* coefs, int64_t begin,
                     int64_t end) {
  combineBody<Terms>(out, y, ks, coefs, begin, end);
}
template <int Terms>
MISSING_U_AVX2_FMA double errorAvx2(const float* y0, const float* y1, const float* const* ks, const float* coefs,
                                    float rtol, float atol, int64_t begin, int64_t end) {
  return errorBody<Terms>(y0, y1, ks, coefs, rtol, atol, begin, end);
}
template <int Terms>
double errorBaseline(const float* y0, const float* y1, const float* const* ks, const float* coefs, float rtol,
                     float atol, int64_t begin, int64_t end) {
  return errorBody<Terms>(y0, y1, ks, coefs, rtol, atol, begin, end);
}

using CombineFn = void (*)(float*, const float*, const float* const*, const float*, int64_t, int64_t);
using ErrorFn = double (*)(const float*, const float*, const float* const*, const float*, float, float, int64_t,
                           int64_t);

template <int... Terms>
auto combineTable(std::integer_sequence<int, Terms...>) {
  return std::array<CombineFn, sizeof...(Terms)>{kernels::pick(&combineAvx2<Terms>, &combineBaseline<Terms>)...};
}

template <int... Terms>
auto errorTable(std::integer_sequence<int, Terms...>) {
  return std::array<ErrorFn, sizeof...(Terms)>{kernels::pick(&errorAvx2<Terms>, &errorBaseline<Terms>)...};
}

const auto kCombine = combineTable(std::make_integer_sequence<int, kMaxTerms + 1>());
const auto kError = errorTable(std::make_integer_sequence<int, kMaxTerms + 1>());

}  // namespace

void combine(float* out, const float* y, const std::vector<const float*>& ks, const std::vector<float>& coefs,
             int64_t n) {
  if (ks.size() > static_cast<size_t>(kMaxTerms)) {
    // Rare (no built-in tableau has more stages): fold the first kMaxTerms, then the rest.
    combine(out, y, {ks.begin(), ks.begin() + kMaxTerms}, {coefs.begin(), coefs.begin() + kMaxTerms}, n);
    combine(out, out, {ks.begin() + kMaxTerms, ks.end()}, {coefs.begin() + kMaxTerms, coefs.end()}, n);
    return;
  }
  const CombineFn fn = kCombine[ks.size()];
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) { fn(out, y, ks.data(), coefs.data(), begin, end); });
}

double scaledErrorSumOfSquares(const float* y0, const float* y1, const std::vector<const float*>& ks,
                               const std::vector<float>& coefs, float rtol, float atol, int64_t n) {
  TORCH_CHECK(ks.size() <= static_cast<size_t>(kMaxTerms), "error estimate with more than ", kMaxTerms, " terms");
  const ErrorFn fn = kError[ks.size()];
  return at::parallel_reduce(
      0, n, kGrain, 0.0,
      [&](int64_t begin, int64_t end, double partial) {
        return partial + fn(y0, y1, ks.data(), coefs.data(), rtol, atol, begin, end);
      },
      [](double a, double b) { return a + b; });
}

}  // namespace missingu::ode::cpu
