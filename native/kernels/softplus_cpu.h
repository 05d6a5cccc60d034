#pragma once
// softplus(x) = log(1 + e^x) and its derivative on the CPU, as one pass of explicit vector code over
// float32 or bfloat16 (the cU-Net's activation: ATen's kernel calls exp and log1p per element and is a
// sixth of a bf16 forward pass, docs/performance.md). Agrees with at::softplus (beta 1, threshold 20)
// to float32 rounding.
#include <cstdint>

namespace missingu::kernels {

void softplus(const float* x, float* y, int64_t n);
void softplus(const uint16_t* x, uint16_t* y, int64_t n);  // bfloat16 bits
// dx = dy * sigmoid(x)
void softplusBackward(const float* x, const float* dy, float* dx, int64_t n);
void softplusBackward(const uint16_t* x, const uint16_t* dy, uint16_t* dx, int64_t n);

}  // namespace missingu::kernels
