#pragma once
// What a model costs: parameters and their bytes, multiply-accumulates of a forward pass (counted per
// op from the shapes each op saw, so it works for any module, TorchScript included), and peak memory.
#include <c10/core/Device.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace missingu::models {

struct ParameterCount {
  int64_t total = 0;      // every parameter, frozen ones included
  int64_t trainable = 0;  // requires_grad
};

ParameterCount countParameters(const torch::nn::Module& module);

// The bytes of every parameter and buffer.
int64_t stateBytes(const torch::nn::Module& module);

struct MacCount {
  int64_t total = 0;
  std::map<std::string, int64_t> byOp;  // "conv", "linear", "upsample-nearest", "upsample-bilinear", "matmul"
};

// Runs `forward` on this thread and counts multiply-accumulates the way thop 0.1 does, so figures
// compare with published ones: convolutions (output elements x input channels per group x kernel
// area, no bias), linear layers (output elements x input features) and resizes (one op per output
// element, eleven when bilinear). Norms, activations and element-wise ops count zero. Matrix
// products (attention) are reported in byOp["matmul"] but, as with thop, not in total.
MacCount countMacs(const std::function<void()>& forward);

struct PeakMemory {
  double inference = 0;  // bytes at the peak of a forward pass without gradients, beyond those allocated before
  double training = 0;   // the same with gradients recorded, the autograd graph included
};

// Whether peakMemory can measure on `device`: only on the CPU, with the caching allocator installed
// (runtime/cpu_caching_allocator.h), which counts the bytes.
bool canMeasurePeakMemory(c10::Device device);

// Runs `forward` on this thread without and then with gradients, measuring each run's peak.
PeakMemory peakMemory(const std::function<void()>& forward);

}  // namespace missingu::models
