#pragma once
// What every built-in model is: a module mapping (x_t, t) to a tensor of x_t's shape.
#include <torch/nn/module.h>

namespace missingu::models {

class DenoiserImpl : public torch::nn::Module {
 public:
  // x: (B, C, H, W) noisy images; t: (B,) diffusion steps (any real dtype).
  virtual at::Tensor forward(const at::Tensor& x, const at::Tensor& t) = 0;
};

}  // namespace missingu::models
