#pragma once
// The one thing samplers know about a network: (x_t, t) -> output of x_t's shape. Built-in models
// and TorchScript modules both become this (bound_denoiser.h), so samplers never include models.
#include <ATen/core/Tensor.h>

#include <functional>

namespace missingu::diffusion {

// x: (B, C, H, W); t: (B,) int64 diffusion steps on x's device.
using Denoiser = std::function<at::Tensor(const at::Tensor& x, const at::Tensor& t)>;

// Called after each reverse step with (steps done, steps in all, current x); false stops the loop.
using StepCallback = std::function<bool(int64_t done, int64_t total, const at::Tensor& x)>;

}  // namespace missingu::diffusion
