#include "models/cunet.h"

#include "models/pointwise_conv.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/avg_pool2d.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/pow.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/upsample_bilinear2d.h>

#include <cmath>
#include <string>

namespace missingu::models {
namespace {

torch::nn::Conv2d conv1x1(int64_t in, int64_t out) { return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1)); }

// Bilinear x0.5 (align_corners=False) is exactly 2x2 average pooling on even sizes.
at::Tensor halve(const at::Tensor& x) {
  if (x.size(2) % 2 == 0 && x.size(3) % 2 == 0) return at::avg_pool2d(x, {2, 2});
  return at::upsample_bilinear2d(x, c10::nullopt, false, std::vector<double>{0.5, 0.5});
}

at::Tensor upsampleTo(const at::Tensor& x, const at::Tensor& like) {
  const std::vector<int64_t> size = {like.size(2), like.size(3)};
  return at::upsample_bilinear2d(x, at::IntArrayRef(size), /*align_corners=*/false);
}

}  // namespace

at::Tensor sinusoidalTable(int64_t steps, int64_t dim) {
  const at::Tensor t = at::arange(steps, at::kDouble).unsqueeze(1);
  const at::Tensor w = at::pow(10000.0, at::arange(0, dim, 2, at::kDouble) * (-2.0 / static_cast<double>(dim)));
  const at::Tensor args = t * w.unsqueeze(0);  // (steps, dim / 2)
  return at::stack({args.sin(), args.cos()}, 2).reshape({steps, dim}).to(at::kFloat);
}

OdeBlock CUNetImpl::odeBlock(int64_t width) {
  const auto hidden = static_cast<int64_t>(std::lround(static_cast<double>(width) * options_.hiddenMult()));
  return OdeBlock(OdeBlockOptions(width, hidden)
                      .timeDim(options_.timeConditioning() ? options_.timeDim() : 0)
                      .coupling(options_.coupling())
                      .residual(options_.residual())
                      .method(options_.method())
                      .steps(options_.steps())
                      .rtol(options_.rtol())
                      .atol(options_.atol())
                      .adjoint(options_.adjoint())
                      .layer(options_.layer()));
}

CUNetImpl::CUNetImpl(const CUNetOptions& o) : options_(o) {
  const auto levels = static_cast<int64_t>(o.mults().size());
  std::vector<int64_t> widths;
  for (int64_t m : o.mults()) widths.push_back(2 * o.nf() * m);
  const int64_t bottleneck = 2 * widths.back();
  const auto attentionAt = [&](int64_t width) { return Attention(AttentionOptions(width)); };

  for (int64_t level : o.attentionEncoder()) {
    encoderAttention_.emplace(
        level, register_module("attention_encoder" + std::to_string(level), attentionAt(widths.at(level - 1))));
  }
  for (int64_t level : o.attentionDecoder()) {
    decoderAttention_.emplace(
        level, register_module("attention_decoder" + std::to_string(level), attentionAt(widths.at(levels - level))));
  }
  // The official table is an nn.Embedding frozen after construction; it counts as parameters.
  timeEmbed_ = register_module("time_embed", torch::nn::Embedding(o.timeSteps(), o.timeDim()));
  timeEmbed_->weight.set_data(sinusoidalTable(o.timeSteps(), o.timeDim()));
  timeEmbed_->weight.set_requires_grad(false);
  initialVelocity_ = register_module("initial_velocity", InitialVelocity(o.channels(), o.nf(), o.layer()));

  for (int64_t i = 1; i <= levels; ++i) {
    down_.push_back(register_module("odeblock_down" + std::to_string(i), odeBlock(widths[i - 1])));
    const bool last = i == levels;
    const std::string name = last ? "conv_down" + std::to_string(i) + "_embed"
                                  : "conv_down" + std::to_string(i) + "_" + std::to_string(i + 1);
    downConvs_.push_back(register_module(name, conv1x1(widths[i - 1], last ? bottleneck : widths[i])));
  }
  bottleneck_ = register_module("odeblock_embedding", odeBlock(bottleneck));
  int64_t below = bottleneck;
  for (int64_t j = 1; j <= levels; ++j) {
    const int64_t width = widths[levels - j];
    const std::string name = j == 1 ? "conv_up_embed_1" : "conv_up" + std::to_string(j - 1) + "_" + std::to_string(j);
    upConvs_.push_back(register_module(name, conv1x1(below + width, width)));
    up_.push_back(register_module("odeblock_up" + std::to_string(j), odeBlock(width)));
    below = width;
  }
  classifier_ = register_module("classifier", conv1x1(widths.front(), o.channels()));
}

at::Tensor CUNetImpl::forward(const at::Tensor& input, const at::Tensor& t) {
  const Activation act = options_.layer().activation();
  // The official code looks the embedding up but never uses it; without time conditioning we skip it.
  const at::Tensor temb = options_.timeConditioning()
                              ? timeEmbed_->forward(t.to(at::kLong).clamp(0, options_.timeSteps() - 1))
                              : at::Tensor();
  at::Tensor x = initialVelocity_->forward(input);
  std::vector<at::Tensor> skips;
  for (size_t i = 0; i < down_.size(); ++i) {
    x = down_[i]->forward(x, temb);
    const auto attention = encoderAttention_.find(static_cast<int64_t>(i) + 1);
    if (attention != encoderAttention_.end()) x = attention->second->forward(x);  // replaces x: no residual
    skips.push_back(x);
    x = halve(activate(pointwiseConv(downConvs_[i], x), act));
  }
  x = bottleneck_->forward(x, temb);
  for (size_t j = 0; j < up_.size(); ++j) {
    const at::Tensor& skip = skips[skips.size() - 1 - j];
    x = activate(pointwiseConv(upConvs_[j], at::cat({upsampleTo(x, skip), skip}, 1)), act);
    x = up_[j]->forward(x, temb);
    const auto attention = decoderAttention_.find(static_cast<int64_t>(j) + 1);
    if (attention != decoderAttention_.end()) x = attention->second->forward(x);
  }
  return pointwiseConv(classifier_, x);
}

}  // namespace missingu::models
