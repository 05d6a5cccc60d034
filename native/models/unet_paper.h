#pragma once
// The paper's U-Net baseline: lucidrains' denoising-diffusion-pytorch Unet (v1.8.x layout), with
// the same parameter names, so that its state_dicts map one to one.
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <functional>
#include <memory>
#include <vector>

#include "models/denoiser.h"
#include "models/resnet_block.h"

namespace missingu::models {

struct UNetPaperOptions {
  TORCH_ARG(int64_t, channels) = 3;
  TORCH_ARG(int64_t, dim) = 64;
  TORCH_ARG(std::vector<int64_t>, dimMults) = std::vector<int64_t>{1, 2, 4, 8};
  // Per level: full attention (true) or linear attention (false).
  TORCH_ARG(std::vector<bool>, fullAttention) = std::vector<bool>{false, false, false, true};
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, dimHead) = 32;
  TORCH_ARG(int64_t, groups) = 8;
  // NHWC activations and weights outside the attention blocks, which oneDNN runs faster at 64 px
  // (docs/performance.md).
  TORCH_ARG(bool, channelsLast) = true;
};

class UNetPaperImpl : public DenoiserImpl {
 public:
  explicit UNetPaperImpl(const UNetPaperOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t) override;

 private:
  struct Level {
    ResnetBlock block1{nullptr}, block2{nullptr};
    torch::nn::AnyModule attention;
    std::shared_ptr<torch::nn::Module> resizeModule;  // registered for its parameters
    std::function<at::Tensor(const at::Tensor&)> resize;
  };
  Level makeLevel(int64_t blockIn, int64_t width, int64_t resizeOut, bool fullAttention, bool last, bool up);
  // An attention block on x, run NCHW (its layout) and handed back in the network's.
  at::Tensor attend(torch::nn::AnyModule& attention, const at::Tensor& x);

  UNetPaperOptions options_;
  torch::nn::Conv2d initConv_{nullptr};
  torch::nn::Sequential timeMlp_{nullptr};
  std::vector<Level> downs_, ups_;
  ResnetBlock midBlock1_{nullptr}, midBlock2_{nullptr};
  torch::nn::AnyModule midAttention_;
  ResnetBlock finalBlock_{nullptr};
  torch::nn::Conv2d finalConv_{nullptr};
};
TORCH_MODULE(UNetPaper);

}  // namespace missingu::models
