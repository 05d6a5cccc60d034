#pragma once
// Ho et al. (2020)'s DDPM U-Net (the CIFAR-10 model: 35.7M parameters), with the parameter names
// of its PyTorch port (pytorch_diffusion) so that converted checkpoints map one to one.
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

#include "models/denoiser.h"

namespace missingu::models {

struct UNetDdpmOptions {
  TORCH_ARG(int64_t, channels) = 3;
  TORCH_ARG(int64_t, imageSize) = 32;
  TORCH_ARG(int64_t, ch) = 128;
  TORCH_ARG(std::vector<int64_t>, chMult) = std::vector<int64_t>{1, 2, 2, 2};
  TORCH_ARG(int64_t, numResBlocks) = 2;
  TORCH_ARG(std::vector<int64_t>, attentionResolutions) = std::vector<int64_t>{16};
  TORCH_ARG(double, dropout) = 0.1;
};

// GroupNorm(32) -> swish -> conv3x3, + Linear(swish(temb)), GroupNorm -> swish -> dropout -> conv3x3, + shortcut.
class DdpmResBlockImpl : public torch::nn::Module {
 public:
  DdpmResBlockImpl(int64_t in, int64_t out, int64_t timeDim, double dropout);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& timeEmbedding);

 private:
  torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, ninShortcut_{nullptr};
  torch::nn::Linear tembProj_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(DdpmResBlock);

// Single-head self-attention with 1x1 q, k, v, proj_out convolutions and a residual.
class DdpmAttnBlockImpl : public torch::nn::Module {
 public:
  explicit DdpmAttnBlockImpl(int64_t channels);
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::GroupNorm norm_{nullptr};
  torch::nn::Conv2d q_{nullptr}, k_{nullptr}, v_{nullptr}, projOut_{nullptr};
};
TORCH_MODULE(DdpmAttnBlock);

class UNetDdpmImpl : public DenoiserImpl {
 public:
  explicit UNetDdpmImpl(const UNetDdpmOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t) override;

 private:
  struct Level {
    std::vector<DdpmResBlock> blocks;
    std::vector<DdpmAttnBlock> attentions;  // empty, or one per block
    torch::nn::Conv2d resample{nullptr};    // downsample (stride 2) or upsample (after nearest x2)
  };

  UNetDdpmOptions options_;
  torch::nn::Linear dense0_{nullptr}, dense1_{nullptr};
  torch::nn::Conv2d convIn_{nullptr}, convOut_{nullptr};
  std::vector<Level> down_, up_;  // up_ in forward order (deepest level first)
  DdpmResBlock midBlock1_{nullptr}, midBlock2_{nullptr};
  DdpmAttnBlock midAttn_{nullptr};
  torch::nn::GroupNorm normOut_{nullptr};
};
TORCH_MODULE(UNetDdpm);

}  // namespace missingu::models
