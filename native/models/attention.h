#pragma once
// Attention over the pixels of (B, C, H, W) maps, with an RMSNorm in front and 1x1 convolutions for
// q, k, v (no bias) and the output (the lucidrains layout, also used by the official cU-Net).
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "models/rms_norm.h"

namespace missingu::models {

struct AttentionOptions {
  AttentionOptions(int64_t channels) : channels_(channels) {}  // NOLINT(google-explicit-constructor)
  TORCH_ARG(int64_t, channels);
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, dimHead) = 32;
};

// softmax(q k^T / sqrt(d)) v per head.
class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const AttentionOptions& options);
  at::Tensor forward(const at::Tensor& x);

 private:
  AttentionOptions options_;
  RMSNorm2d norm_{nullptr};
  torch::nn::Conv2d toQkv_{nullptr};
  torch::nn::Conv2d toOut_{nullptr};
};
TORCH_MODULE(Attention);

// Linear attention (Shen et al.): softmax over features for q, over positions for k; out is
// followed by an RMSNorm.
class LinearAttentionImpl : public torch::nn::Module {
 public:
  explicit LinearAttentionImpl(const AttentionOptions& options);
  at::Tensor forward(const at::Tensor& x);

 private:
  AttentionOptions options_;
  RMSNorm2d norm_{nullptr};
  torch::nn::Conv2d toQkv_{nullptr};
  torch::nn::Sequential toOut_{nullptr};
};
TORCH_MODULE(LinearAttention);

}  // namespace missingu::models
