#pragma once
#include <torch/nn/modules/conv.h>

namespace missingu::models {

// A 1x1 convolution computed as one matrix product per image (W (out x in) . x (in x HW) + b).
// ATen sends 1x1 convolutions on NCHW tensors to its im2col path, which copies the input first;
// this is the same arithmetic without the copy. Differentiable; counted as a convolution.
at::Tensor pointwiseConv(torch::nn::Conv2d& conv, const at::Tensor& x);

}  // namespace missingu::models
