#include "models/resnet_block.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/silu.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

namespace missingu::models {

ConvNormActImpl::ConvNormActImpl(int64_t in, int64_t out, int64_t groups) {
  proj_ = register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)));
  norm_ = register_module("norm", torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, out)));
}

at::Tensor ConvNormActImpl::forward(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& shift) {
  at::Tensor h = norm_->forward(proj_->forward(x));
  if (scale.defined()) h = h * (scale + 1) + shift;
  return at::silu(h);
}

ResnetBlockImpl::ResnetBlockImpl(const ResnetBlockOptions& o) {
  if (o.timeDim() > 0) {
    mlp_ =
        register_module("mlp", torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(o.timeDim(), 2 * o.out())));
  }
  block1_ = register_module("block1", ConvNormAct(o.in(), o.out(), o.groups()));
  block2_ = register_module("block2", ConvNormAct(o.out(), o.out(), o.groups()));
  if (o.in() != o.out())
    resConv_ = register_module("res_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.in(), o.out(), 1)));
}

at::Tensor ResnetBlockImpl::forward(const at::Tensor& x, const at::Tensor& timeEmbedding) {
  at::Tensor scale, shift;
  if (mlp_) {
    const auto parts = mlp_->forward(timeEmbedding).unsqueeze(-1).unsqueeze(-1).chunk(2, 1);
    scale = parts[0];
    shift = parts[1];
  }
  const at::Tensor h = block2_->forward(block1_->forward(x, scale, shift));
  return h + (resConv_ ? resConv_->forward(x) : x);
}

}  // namespace missingu::models
