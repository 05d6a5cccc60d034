#include "models/unet_paper.h"

#include <algorithm>

#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pixelshuffle.h>
#include <torch/nn/modules/upsampling.h>

#include "models/attention.h"
#include "models/time_embedding.h"

namespace missingu::models {
namespace {

// Module form of sinusoidalEmbedding, so time_mlp keeps lucidrains' indices (time_mlp.1, time_mlp.3).
class SinusoidalPosEmbImpl : public torch::nn::Module {
 public:
  explicit SinusoidalPosEmbImpl(int64_t dim) : dim_(dim) {}
  at::Tensor forward(const at::Tensor& t) { return sinusoidalEmbedding(t, dim_); }

 private:
  int64_t dim_;
};
TORCH_MODULE(SinusoidalPosEmb);

void append(std::vector<at::Tensor>& to, const std::vector<at::Tensor>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2));
}

}  // namespace

UNetPaperImpl::Level UNetPaperImpl::makeLevel(int64_t blockIn, int64_t width, int64_t resizeOut, bool fullAttention,
                                              bool last, bool up) {
  const int64_t timeDim = 4 * options_.dim();
  Level level;
  level.block1 = ResnetBlock(ResnetBlockOptions(blockIn, width, timeDim).groups(options_.groups()));
  level.block2 = ResnetBlock(ResnetBlockOptions(blockIn, width, timeDim).groups(options_.groups()));
  const auto attention = AttentionOptions(width).heads(options_.heads()).dimHead(options_.dimHead());
  level.attention =
      fullAttention ? torch::nn::AnyModule(Attention(attention)) : torch::nn::AnyModule(LinearAttention(attention));
  torch::nn::Sequential sequence{nullptr};
  if (last) {
    torch::nn::Conv2d same = conv(width, resizeOut, 3);
    level.resizeModule = same.ptr();
    level.resize = [same](const at::Tensor& x) mutable { return same->forward(x); };
    return level;
  }
  if (up) {
    sequence = torch::nn::Sequential(
        torch::nn::Upsample(torch::nn::UpsampleOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest)),
        conv(width, resizeOut, 3));
  } else {
    sequence = torch::nn::Sequential(torch::nn::PixelUnshuffle(2), conv(4 * width, resizeOut, 1));
  }
  level.resizeModule = sequence.ptr();
  level.resize = [sequence](const at::Tensor& x) mutable { return sequence->forward(x); };
  return level;
}

UNetPaperImpl::UNetPaperImpl(const UNetPaperOptions& options) : options_(options) {
  const int64_t dim = options.dim(), timeDim = 4 * dim;
  initConv_ = register_module("init_conv", conv(options.channels(), dim, 7));
  timeMlp_ = register_module("time_mlp", torch::nn::Sequential(SinusoidalPosEmb(dim), torch::nn::Linear(dim, timeDim),
                                                               torch::nn::GELU(), torch::nn::Linear(timeDim, timeDim)));
  std::vector<int64_t> dims = {dim};
  for (int64_t m : options.dimMults()) dims.push_back(dim * m);
  const size_t levels = options.dimMults().size();

  auto downs = torch::nn::ModuleList();
  for (size_t i = 0; i < levels; ++i) {
    Level level = makeLevel(dims[i], dims[i], dims[i + 1], options.fullAttention()[i], i + 1 == levels, false);
    downs->push_back(torch::nn::ModuleList(level.block1, level.block2, level.attention.ptr(), level.resizeModule));
    downs_.push_back(std::move(level));
  }
  register_module("downs", downs);

  const int64_t mid = dims.back();
  midBlock1_ =
      register_module("mid_block1", ResnetBlock(ResnetBlockOptions(mid, mid, timeDim).groups(options.groups())));
  midAttention_ =
      torch::nn::AnyModule(Attention(AttentionOptions(mid).heads(options.heads()).dimHead(options.dimHead())));
  register_module("mid_attn", midAttention_.ptr());
  midBlock2_ =
      register_module("mid_block2", ResnetBlock(ResnetBlockOptions(mid, mid, timeDim).groups(options.groups())));

  auto ups = torch::nn::ModuleList();
  for (size_t j = 0; j < levels; ++j) {
    const size_t i = levels - 1 - j;  // reversed levels: (in, out) = (dims[i], dims[i + 1])
    Level level =
        makeLevel(dims[i + 1] + dims[i], dims[i + 1], dims[i], options.fullAttention()[i], j + 1 == levels, true);
    ups->push_back(torch::nn::ModuleList(level.block1, level.block2, level.attention.ptr(), level.resizeModule));
    ups_.push_back(std::move(level));
  }
  register_module("ups", ups);

  finalBlock_ = register_module("final_res_block",
                                ResnetBlock(ResnetBlockOptions(2 * dim, dim, timeDim).groups(options.groups())));
  finalConv_ = register_module("final_conv", conv(dim, options.channels(), 1));
  // oneDNN runs this network's convolutions, group norms and resizes faster on NHWC activations with NHWC
  // weights (docs/performance.md, "The U-Net in channels-last"). Copies into these weights (loading,
  // optimizer steps, EMA) keep their layout, and so do their autocast copies.
  if (options.channelsLast()) {
    // The attention blocks stay NCHW: their reshapes into heads would copy NHWC tensors (measured slower).
    std::vector<at::Tensor> attention = midAttention_.ptr()->parameters();
    for (const Level& level : downs_) append(attention, level.attention.ptr()->parameters());
    for (const Level& level : ups_) append(attention, level.attention.ptr()->parameters());
    for (at::Tensor& parameter : parameters()) {
      const bool inAttention =
          std::any_of(attention.begin(), attention.end(), [&](const at::Tensor& a) { return a.is_same(parameter); });
      if (parameter.dim() == 4 && !inAttention) {
        parameter.set_data(parameter.contiguous(at::MemoryFormat::ChannelsLast));
      }
    }
  }
}

at::Tensor UNetPaperImpl::attend(torch::nn::AnyModule& attention, const at::Tensor& x) {
  if (!options_.channelsLast()) return attention.forward(x);
  return attention.forward(x.contiguous()).contiguous(at::MemoryFormat::ChannelsLast);
}

at::Tensor UNetPaperImpl::forward(const at::Tensor& input, const at::Tensor& time) {
  at::Tensor x = initConv_->forward(options_.channelsLast() ? input.contiguous(at::MemoryFormat::ChannelsLast) : input);
  const at::Tensor r = x;
  const at::Tensor t = timeMlp_->forward(time);
  std::vector<at::Tensor> skips;
  for (Level& level : downs_) {
    x = level.block1->forward(x, t);
    skips.push_back(x);
    x = level.block2->forward(x, t);
    x = attend(level.attention, x) + x;
    skips.push_back(x);
    x = level.resize(x);
  }
  x = midBlock1_->forward(x, t);
  x = attend(midAttention_, x) + x;
  x = midBlock2_->forward(x, t);
  for (Level& level : ups_) {
    x = level.block1->forward(at::cat({x, skips.back()}, 1), t);
    skips.pop_back();
    x = level.block2->forward(at::cat({x, skips.back()}, 1), t);
    skips.pop_back();
    x = attend(level.attention, x) + x;
    x = level.resize(x);
  }
  // Callers get the usual NCHW layout back.
  return finalConv_->forward(finalBlock_->forward(at::cat({x, r}, 1), t)).contiguous();
}

}  // namespace missingu::models
