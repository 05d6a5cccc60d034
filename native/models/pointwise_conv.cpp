#include "models/pointwise_conv.h"

#include <ATen/ops/addmm.h>
#include <ATen/ops/baddbmm.h>
#include <ATen/ops/matmul.h>
#include <ATen/record_function.h>

namespace missingu::models {

at::Tensor pointwiseConv(torch::nn::Conv2d& conv, const at::Tensor& x) {
  const at::Tensor& weight = conv->weight;
  const at::Tensor& bias = conv->bias;
  RECORD_FUNCTION("missing_u::conv1x1", std::vector<c10::IValue>({x, weight}));
  const int64_t b = x.size(0), in = x.size(1), h = x.size(2), w = x.size(3), out = weight.size(0);
  const at::Tensor w2 = weight.view({out, in});
  if (b == 1) {
    const at::Tensor x2 = x.reshape({in, h * w});
    const at::Tensor y = bias.defined() ? at::addmm(bias.unsqueeze(1), w2, x2) : at::matmul(w2, x2);
    return y.view({1, out, h, w});
  }
  const at::Tensor x3 = x.reshape({b, in, h * w});
  const at::Tensor y =
      bias.defined() ? at::baddbmm(bias.view({1, out, 1}), w2.expand({b, out, in}), x3) : at::matmul(w2, x3);
  return y.view({b, out, h, w});
}

}  // namespace missingu::models
