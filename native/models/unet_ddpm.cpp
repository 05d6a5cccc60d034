#include "models/unet_ddpm.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/upsample_nearest2d.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "models/time_embedding.h"

namespace missingu::models {
namespace {

torch::nn::GroupNorm groupNorm(int64_t channels) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(32, channels).eps(1e-6));
}

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = -1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding < 0 ? kernel / 2 : padding));
}

}  // namespace

DdpmResBlockImpl::DdpmResBlockImpl(int64_t in, int64_t out, int64_t timeDim, double dropout) {
  norm1_ = register_module("norm1", groupNorm(in));
  conv1_ = register_module("conv1", conv(in, out, 3));
  tembProj_ = register_module("temb_proj", torch::nn::Linear(timeDim, out));
  norm2_ = register_module("norm2", groupNorm(out));
  dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
  conv2_ = register_module("conv2", conv(out, out, 3));
  if (in != out) ninShortcut_ = register_module("nin_shortcut", conv(in, out, 1));
}

at::Tensor DdpmResBlockImpl::forward(const at::Tensor& x, const at::Tensor& timeEmbedding) {
  at::Tensor h = conv1_->forward(at::silu(norm1_->forward(x)));
  h = h + tembProj_->forward(at::silu(timeEmbedding)).unsqueeze(-1).unsqueeze(-1);
  h = conv2_->forward(dropout_->forward(at::silu(norm2_->forward(h))));
  return (ninShortcut_ ? ninShortcut_->forward(x) : x) + h;
}

DdpmAttnBlockImpl::DdpmAttnBlockImpl(int64_t channels) {
  norm_ = register_module("norm", groupNorm(channels));
  q_ = register_module("q", conv(channels, channels, 1));
  k_ = register_module("k", conv(channels, channels, 1));
  v_ = register_module("v", conv(channels, channels, 1));
  projOut_ = register_module("proj_out", conv(channels, channels, 1));
}

at::Tensor DdpmAttnBlockImpl::forward(const at::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const at::Tensor normed = norm_->forward(x);
  const at::Tensor q = q_->forward(normed).reshape({b, c, h * w}).transpose(1, 2);  // (B, HW, C)
  const at::Tensor k = k_->forward(normed).reshape({b, c, h * w});                  // (B, C, HW)
  const at::Tensor v = v_->forward(normed).reshape({b, c, h * w});
  const at::Tensor weights = at::softmax(at::matmul(q, k) / std::sqrt(static_cast<double>(c)), 2);  // (B, HW, HW)
  const at::Tensor out = at::matmul(v, weights.transpose(1, 2)).reshape({b, c, h, w});
  return x + projOut_->forward(out);
}

UNetDdpmImpl::UNetDdpmImpl(const UNetDdpmOptions& o) : options_(o) {
  const int64_t ch = o.ch(), timeDim = 4 * ch;
  const size_t levels = o.chMult().size();
  const auto attends = [&](int64_t resolution) {
    return std::find(o.attentionResolutions().begin(), o.attentionResolutions().end(), resolution) !=
           o.attentionResolutions().end();
  };
  auto temb = register_module("temb", std::make_shared<torch::nn::Module>());
  auto dense = temb->register_module("dense", torch::nn::ModuleList());
  dense0_ = torch::nn::Linear(ch, timeDim);
  dense1_ = torch::nn::Linear(timeDim, timeDim);
  dense->push_back(dense0_);
  dense->push_back(dense1_);
  convIn_ = register_module("conv_in", conv(o.channels(), ch, 3));

  std::vector<int64_t> inMult = {1};
  inMult.insert(inMult.end(), o.chMult().begin(), o.chMult().end());
  int64_t resolution = o.imageSize(), blockIn = ch;
  auto down = register_module("down", torch::nn::ModuleList());
  for (size_t i = 0; i < levels; ++i) {
    Level level;
    auto holder = std::make_shared<torch::nn::Module>();
    auto blocks = holder->register_module("block", torch::nn::ModuleList());
    auto attns = holder->register_module("attn", torch::nn::ModuleList());
    blockIn = ch * inMult[i];
    const int64_t blockOut = ch * o.chMult()[i];
    for (int64_t j = 0; j < o.numResBlocks(); ++j) {
      level.blocks.emplace_back(blockIn, blockOut, timeDim, o.dropout());
      blocks->push_back(level.blocks.back());
      blockIn = blockOut;
      if (attends(resolution)) {
        level.attentions.emplace_back(blockIn);
        attns->push_back(level.attentions.back());
      }
    }
    if (i + 1 != levels) {
      auto downsample = holder->register_module("downsample", std::make_shared<torch::nn::Module>());
      level.resample = downsample->register_module("conv", conv(blockIn, blockIn, 3, 2, 0));
      resolution /= 2;
    }
    down->push_back(holder);
    down_.push_back(std::move(level));
  }

  auto mid = register_module("mid", std::make_shared<torch::nn::Module>());
  midBlock1_ = mid->register_module("block_1", DdpmResBlock(blockIn, blockIn, timeDim, o.dropout()));
  midAttn_ = mid->register_module("attn_1", DdpmAttnBlock(blockIn));
  midBlock2_ = mid->register_module("block_2", DdpmResBlock(blockIn, blockIn, timeDim, o.dropout()));

  std::vector<std::shared_ptr<torch::nn::Module>> upHolders(levels);
  for (size_t step = 0; step < levels; ++step) {
    const size_t i = levels - 1 - step;
    Level level;
    auto holder = std::make_shared<torch::nn::Module>();
    auto blocks = holder->register_module("block", torch::nn::ModuleList());
    auto attns = holder->register_module("attn", torch::nn::ModuleList());
    const int64_t blockOut = ch * o.chMult()[i];
    for (int64_t j = 0; j <= o.numResBlocks(); ++j) {
      const int64_t skipIn = j == o.numResBlocks() ? ch * inMult[i] : ch * o.chMult()[i];
      level.blocks.emplace_back(blockIn + skipIn, blockOut, timeDim, o.dropout());
      blocks->push_back(level.blocks.back());
      blockIn = blockOut;
      if (attends(resolution)) {
        level.attentions.emplace_back(blockIn);
        attns->push_back(level.attentions.back());
      }
    }
    if (i != 0) {
      auto upsample = holder->register_module("upsample", std::make_shared<torch::nn::Module>());
      level.resample = upsample->register_module("conv", conv(blockIn, blockIn, 3));
      resolution *= 2;
    }
    upHolders[i] = holder;
    up_.push_back(std::move(level));
  }
  auto up = register_module("up", torch::nn::ModuleList());
  for (const auto& holder : upHolders) up->push_back(holder);  // up.0 is the highest resolution, as in the original

  normOut_ = register_module("norm_out", groupNorm(blockIn));
  convOut_ = register_module("conv_out", conv(blockIn, o.channels(), 3));
}

at::Tensor UNetDdpmImpl::forward(const at::Tensor& x, const at::Tensor& t) {
  const at::Tensor temb = dense1_->forward(at::silu(dense0_->forward(sinusoidalEmbedding(t, options_.ch()))));
  std::vector<at::Tensor> hs = {convIn_->forward(x)};
  for (Level& level : down_) {
    for (size_t j = 0; j < level.blocks.size(); ++j) {
      at::Tensor h = level.blocks[j]->forward(hs.back(), temb);
      if (!level.attentions.empty()) h = level.attentions[j]->forward(h);
      hs.push_back(h);
    }
    // TF "SAME" for a stride-2 3x3 conv: pad right and bottom by one.
    if (level.resample) hs.push_back(level.resample->forward(at::constant_pad_nd(hs.back(), {0, 1, 0, 1})));
  }
  at::Tensor h = midBlock2_->forward(midAttn_->forward(midBlock1_->forward(hs.back(), temb)), temb);
  for (Level& level : up_) {
    for (size_t j = 0; j < level.blocks.size(); ++j) {
      h = level.blocks[j]->forward(at::cat({h, hs.back()}, 1), temb);
      hs.pop_back();
      if (!level.attentions.empty()) h = level.attentions[j]->forward(h);
    }
    if (level.resample)
      h = level.resample->forward(at::upsample_nearest2d(h, c10::nullopt, std::vector<double>{2.0, 2.0}));
  }
  return convOut_->forward(at::silu(normOut_->forward(h)));
}

}  // namespace missingu::models
