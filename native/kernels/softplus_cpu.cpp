#include "kernels/softplus_cpu.h"

#include <ATen/Parallel.h>

#include <cstring>

#include "kernels/cpu_features.h"

// Eight-lane GCC vectors; each loop is compiled for AVX2 + FMA and for the baseline (cpu_features.h).

namespace missingu::kernels {
namespace {

typedef float Vf __attribute__((vector_size(32)));
typedef int32_t Vi __attribute__((vector_size(32)));
typedef uint32_t Vu __attribute__((vector_size(32)));
typedef uint16_t Vh __attribute__((vector_size(16)));
constexpr int64_t kLanes = 8;
constexpr int64_t kGrain = 32 * 1024;

inline __attribute__((always_inline)) Vf splat(float v) { return Vf{} + v; }

// e^-a for a >= 0: 2^k e^r with |r| <= ln2 / 2 and a degree-6 Taylor polynomial (relative error 1.2e-7);
// 0 from a = 87 on, where e^-a leaves float32's normal range (ATen's result there is 0 or a denormal).
inline __attribute__((always_inline)) Vf expNegative(Vf input) {
  const Vf a = input < 87.0f ? input : splat(87.0f);
  const Vf t = -a * 1.44269504f;
  const Vi k = __builtin_convertvector(t - 0.5f, Vi);  // round to nearest: t <= 0
  const Vf kf = __builtin_convertvector(k, Vf);
  const Vf r = (-a - kf * 0.693145752f) - kf * 1.42860677e-6f;
  Vf p = splat(1.0f / 720.0f);
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  Vf scale;
  const Vi bits = (k + 127) << 23;
  std::memcpy(&scale, &bits, sizeof scale);
  return input < 87.0f ? p * scale : splat(0.0f);
}

// log(1 + e) for e in [0, 1]: 2 atanh(s) with s = e / (2 + e) in [0, 1/3], as its odd series to s^13.
inline __attribute__((always_inline)) Vf log1pUnit(Vf e) {
  const Vf s = e / (e + 2.0f);
  const Vf z = s * s;
  Vf p = splat(1.0f / 13.0f);
  p = p * z + 1.0f / 11.0f;
  p = p * z + 1.0f / 9.0f;
  p = p * z + 1.0f / 7.0f;
  p = p * z + 1.0f / 5.0f;
  p = p * z + 1.0f / 3.0f;
  p = p * z + 1.0f;
  return 2.0f * s * p;
}

inline __attribute__((always_inline)) Vf absolute(Vf x) { return x < 0.0f ? -x : x; }

// NaN stays NaN, as in at::softplus: every comparison with NaN is false, so the arithmetic alone would
// give 0 for softplus and its derivative. +-Inf need nothing: e^-|x| is 0 there.
inline __attribute__((always_inline)) Vf softplusOf(Vf x) {
  const Vf positive = x > 0.0f ? x : splat(0.0f);
  const Vf y = positive + log1pUnit(expNegative(absolute(x)));
  return x == x ? y : x;
}

inline __attribute__((always_inline)) Vf sigmoidOf(Vf x) {
  const Vf e = expNegative(absolute(x));
  const Vf inverse = 1.0f / (1.0f + e);
  const Vf s = x >= 0.0f ? inverse : e * inverse;
  return x == x ? s : x;
}

// bfloat16 <-> float32: the high half of the float's bits; rounding to nearest even, NaN kept quiet.
inline __attribute__((always_inline)) Vf widen(const uint16_t* p) {
  Vh h;
  std::memcpy(&h, p, sizeof h);
  const Vu u = __builtin_convertvector(h, Vu) << 16;
  Vf out;
  std::memcpy(&out, &u, sizeof out);
  return out;
}

inline __attribute__((always_inline)) void narrow(uint16_t* p, Vf v) {
  Vu u;
  std::memcpy(&u, &v, sizeof u);
  const Vu rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  const Vu nan = (u >> 16) | 0x40u;
  const Vu out = (v != v) ? nan : rounded;
  const Vh h = __builtin_convertvector(out, Vh);
  std::memcpy(p, &h, sizeof h);
}

inline __attribute__((always_inline)) Vf load(const float* p) {
  Vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline __attribute__((always_inline)) void store(float* p, Vf v) { std::memcpy(p, &v, sizeof v); }
inline __attribute__((always_inline)) Vf load(const uint16_t* p) { return widen(p); }
inline __attribute__((always_inline)) void store(uint16_t* p, Vf v) { narrow(p, v); }

// The tail (n % 8) goes through a zero-padded vector, so every element takes the same arithmetic.
template <typename T>
inline __attribute__((always_inline)) void forwardLoop(const T* x, T* y, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes) store(y + i, softplusOf(load(x + i)));
  if (i == end) return;
  T in[kLanes] = {}, out[kLanes];
  std::memcpy(in, x + i, (end - i) * sizeof(T));
  store(out, softplusOf(load(in)));
  std::memcpy(y + i, out, (end - i) * sizeof(T));
}

template <typename T>
inline __attribute__((always_inline)) void backwardLoop(const T* x, const T* dy, T* dx, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes) store(dx + i, load(dy + i) * sigmoidOf(load(x + i)));
  if (i == end) return;
  T in[kLanes] = {}, grad[kLanes] = {}, out[kLanes];
  std::memcpy(in, x + i, (end - i) * sizeof(T));
  std::memcpy(grad, dy + i, (end - i) * sizeof(T));
  store(out, load(grad) * sigmoidOf(load(in)));
  std::memcpy(dx + i, out, (end - i) * sizeof(T));
}

template <typename T>
MISSING_U_AVX2_FMA void forwardAvx2(const T* x, T* y, int64_t b, int64_t e) {
  forwardLoop(x, y, b, e);
}
template <typename T>
void forwardBaseline(const T* x, T* y, int64_t b, int64_t e) {
  forwardLoop(x, y, b, e);
}
template <typename T>
MISSING_U_AVX2_FMA void backwardAvx2(const T* x, const T* dy, T* dx, int64_t b, int64_t e) {
  backwardLoop(x, dy, dx, b, e);
}
template <typename T>
void backwardBaseline(const T* x, const T* dy, T* dx, int64_t b, int64_t e) {
  backwardLoop(x, dy, dx, b, e);
}

template <typename T>
void forwardAll(const T* x, T* y, int64_t n) {
  static const auto loop = pick(&forwardAvx2<T>, &forwardBaseline<T>);
  at::parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) { loop(x, y, b, e); });
}

template <typename T>
void backwardAll(const T* x, const T* dy, T* dx, int64_t n) {
  static const auto loop = pick(&backwardAvx2<T>, &backwardBaseline<T>);
  at::parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) { loop(x, dy, dx, b, e); });
}

}  // namespace

void softplus(const float* x, float* y, int64_t n) { forwardAll(x, y, n); }
void softplus(const uint16_t* x, uint16_t* y, int64_t n) { forwardAll(x, y, n); }
void softplusBackward(const float* x, const float* dy, float* dx, int64_t n) { backwardAll(x, dy, dx, n); }
void softplusBackward(const uint16_t* x, const uint16_t* dy, uint16_t* dx, int64_t n) { backwardAll(x, dy, dx, n); }

}  // namespace missingu::kernels
