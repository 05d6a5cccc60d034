#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace missingu::models {

// Channel RMS normalisation of (B, C, H, W) maps: x / ||x||_channels * sqrt(C) * g, g of shape (1, C, 1, 1).
class RMSNorm2dImpl : public torch::nn::Module {
 public:
  explicit RMSNorm2dImpl(int64_t channels);
  at::Tensor forward(const at::Tensor& x);

 private:
  at::Tensor gain_;
  double scale_;
};
TORCH_MODULE(RMSNorm2d);

}  // namespace missingu::models
