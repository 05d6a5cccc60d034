#include "models/attention.h"

#include "models/pointwise_conv.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/softmax.h>

#include <cmath>

namespace missingu::models {
namespace {

torch::nn::Conv2d conv1x1(int64_t in, int64_t out, bool bias) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(bias));
}

}  // namespace

AttentionImpl::AttentionImpl(const AttentionOptions& options) : options_(options) {
  const int64_t hidden = options.heads() * options.dimHead();
  norm_ = register_module("norm", RMSNorm2d(options.channels()));
  toQkv_ = register_module("to_qkv", conv1x1(options.channels(), 3 * hidden, false));
  toOut_ = register_module("to_out", conv1x1(hidden, options.channels(), true));
}

at::Tensor AttentionImpl::forward(const at::Tensor& x) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3), heads = options_.heads();
  const auto qkv = pointwiseConv(toQkv_, norm_->forward(x)).chunk(3, 1);
  // (B, heads * d, H, W) -> (B, heads, HW, d)
  const auto split = [&](const at::Tensor& t) { return t.reshape({b, heads, -1, h * w}).transpose(-1, -2); };
  const at::Tensor q = split(qkv[0]), k = split(qkv[1]), v = split(qkv[2]);
  const double scale = 1.0 / std::sqrt(static_cast<double>(options_.dimHead()));
  const at::Tensor attn = at::softmax(at::matmul(q, k.transpose(-1, -2)) * scale, -1);
  const at::Tensor out = at::matmul(attn, v).transpose(-1, -2).reshape({b, -1, h, w});
  return pointwiseConv(toOut_, out);
}

LinearAttentionImpl::LinearAttentionImpl(const AttentionOptions& options) : options_(options) {
  const int64_t hidden = options.heads() * options.dimHead();
  norm_ = register_module("norm", RMSNorm2d(options.channels()));
  toQkv_ = register_module("to_qkv", conv1x1(options.channels(), 3 * hidden, false));
  toOut_ = register_module(
      "to_out", torch::nn::Sequential(conv1x1(hidden, options.channels(), true), RMSNorm2d(options.channels())));
}

at::Tensor LinearAttentionImpl::forward(const at::Tensor& x) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3), heads = options_.heads();
  const auto qkv = pointwiseConv(toQkv_, norm_->forward(x)).chunk(3, 1);
  const auto split = [&](const at::Tensor& t) { return t.reshape({b, heads, -1, h * w}); };  // (B, heads, d, n)
  const double scale = 1.0 / std::sqrt(static_cast<double>(options_.dimHead()));
  const at::Tensor q = at::softmax(split(qkv[0]), -2) * scale;
  const at::Tensor k = at::softmax(split(qkv[1]), -1);
  const at::Tensor v = split(qkv[2]);
  const at::Tensor context = at::matmul(k, v.transpose(-1, -2));    // (B, heads, d, e)
  const at::Tensor out = at::matmul(context.transpose(-1, -2), q);  // (B, heads, e, n)
  return toOut_->forward(out.reshape({b, -1, h, w}));
}

}  // namespace missingu::models
