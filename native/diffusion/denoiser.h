#pragma once
// The one thing samplers know about a network: (x_t, t) -> output of x_t's shape. Built-in models
// and TorchScript modules both become this (bound_denoiser.h), so samplers never include models.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>

namespace missingu::diffusion {

// x: (B, C, H, W); t: (B,) int64 diffusion steps on x's device.
using Denoiser = std::function<at::Tensor(const at::Tensor& x, const at::Tensor& t)>;

// How far a reverse process has come: steps done of all its steps, and the network evaluations so far.
// The probability-flow ODE sampler has no fixed step count: its done/total is the share of its time
// interval integrated, in thousandths.
struct ReverseProgress {
  int64_t done = 0;
  int64_t total = 0;
  int64_t nfe = 0;
};

// Called after each reverse step (each network evaluation for the ODE sampler) with the progress and
// the current x; false stops the loop.
using StepCallback = std::function<bool(const ReverseProgress& progress, const at::Tensor& x)>;

}  // namespace missingu::diffusion
