#pragma once
// The continuous U-Net (the paper, section 3; the official code's layout): an initial-velocity network, one ODE block
// per level (encoder, bottleneck, decoder), 1x1 transitions, bilinear resampling and attention where asked. Module
// names follow the official code, so its checkpoints map one to one.
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>

#include <map>
#include <vector>

#include "models/attention.h"
#include "models/cunet_blocks.h"
#include "models/denoiser.h"

namespace missingu::models {

struct CUNetOptions {
  TORCH_ARG(int64_t, channels) = 3;
  TORCH_ARG(int64_t, nf) = 16;
  // Level widths are 2 nf x mult; the bottleneck is twice the last.
  TORCH_ARG(std::vector<int64_t>, mults) = std::vector<int64_t>{1, 2, 4, 8};
  // 1-based levels with attention after the ODE block: encoder levels, decoder levels (1 = deepest).
  TORCH_ARG(std::vector<int64_t>, attentionEncoder) = std::vector<int64_t>{4};
  TORCH_ARG(std::vector<int64_t>, attentionDecoder) = std::vector<int64_t>{1};
  TORCH_ARG(CUNetLayerOptions, layer);
  TORCH_ARG(bool, timeConditioning) = true;
  TORCH_ARG(int64_t, timeDim) = 256;
  TORCH_ARG(int64_t, timeSteps) = 1000;
  TORCH_ARG(Coupling, coupling) = Coupling::SecondOrder;
  TORCH_ARG(bool, residual) = true;
  // Width inside each ODE function relative to its block's width.
  TORCH_ARG(double, hiddenMult) = 1.0;
  // How each ODE block integrates over s in [0, 1]: one 3/8-rule RK4 step, as the official code does.
  TORCH_ARG(std::string, method) = "rk4-3/8";
  TORCH_ARG(int64_t, steps) = 1;
  TORCH_ARG(double, rtol) = 1e-3;  // adaptive methods (dopri5) only
  TORCH_ARG(double, atol) = 1e-4;
  TORCH_ARG(bool, adjoint) = false;
};

class CUNetImpl : public DenoiserImpl {
 public:
  explicit CUNetImpl(const CUNetOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t) override;

 private:
  OdeBlock odeBlock(int64_t width);

  CUNetOptions options_;
  torch::nn::Embedding timeEmbed_{nullptr};
  InitialVelocity initialVelocity_{nullptr};
  std::vector<OdeBlock> down_, up_;
  std::vector<torch::nn::Conv2d> downConvs_, upConvs_;
  OdeBlock bottleneck_{nullptr};
  std::map<int64_t, Attention> encoderAttention_, decoderAttention_;
  torch::nn::Conv2d classifier_{nullptr};
};
TORCH_MODULE(CUNet);

// The sinusoidal table of the official code: E[t, 2i] = sin(t w_i), E[t, 2i + 1] = cos(t w_i), w_i = 10000^(-4i / d).
at::Tensor sinusoidalTable(int64_t steps, int64_t dim);

}  // namespace missingu::models
