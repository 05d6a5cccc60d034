#pragma once
// The inputs flops and peakMemory measure a model on: zero images of a given shape and a
// mid-schedule step for each, refused up front when they alone would not fit in this machine's memory.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

namespace missingu::models {

struct ProbeInputs {
  at::Tensor x;  // (B, C, H, W) float32 zeros
  at::Tensor t;  // (B,) int64, step 500 each
};

// std::invalid_argument naming `what` when float32 images of `shape` would take more than this
// machine's physical memory (before libtorch's allocator fails on them).
void requireFitsMemory(const std::vector<int64_t>& shape, const std::string& what);

ProbeInputs probeInputs(const std::vector<int64_t>& shape, c10::Device device);

}  // namespace missingu::models
