#pragma once
// The lucidrains ResNet block: two (conv3x3 -> GroupNorm -> SiLU) blocks, the first modulated by
// the time embedding (x * (scale + 1) + shift), plus a residual (1x1 conv when widths differ).
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

namespace missingu::models {

// conv3x3 -> GroupNorm -> [scale/shift] -> SiLU
class ConvNormActImpl : public torch::nn::Module {
 public:
  ConvNormActImpl(int64_t in, int64_t out, int64_t groups);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& scale = {}, const at::Tensor& shift = {});

 private:
  torch::nn::Conv2d proj_{nullptr};
  torch::nn::GroupNorm norm_{nullptr};
};
TORCH_MODULE(ConvNormAct);

struct ResnetBlockOptions {
  ResnetBlockOptions(int64_t in, int64_t out, int64_t timeDim) : in_(in), out_(out), timeDim_(timeDim) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  TORCH_ARG(int64_t, timeDim);  // 0: no time conditioning
  TORCH_ARG(int64_t, groups) = 8;
};

class ResnetBlockImpl : public torch::nn::Module {
 public:
  explicit ResnetBlockImpl(const ResnetBlockOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& timeEmbedding);

 private:
  torch::nn::Sequential mlp_{nullptr};
  ConvNormAct block1_{nullptr}, block2_{nullptr};
  torch::nn::Conv2d resConv_{nullptr};
};
TORCH_MODULE(ResnetBlock);

}  // namespace missingu::models
