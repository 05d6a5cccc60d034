#pragma once
// The continuous U-Net's blocks: the initial-velocity network, the ODE function (the network
// inside each ODE block) and the ODE block, which integrates it with native/ode.
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

#include <string>

#include "models/activation.h"
#include "models/cunet_choices.h"

namespace missingu::models {

// InstanceNorm2d (no parameters, as the official code uses it) or GroupNorm with `groups` groups, or
// the largest divisor of `channels` below it (20 channels in 8 groups do not divide: 4 groups).
class Norm2dImpl : public torch::nn::Module {
 public:
  Norm2dImpl(NormKind kind, int64_t channels, int64_t groups);
  at::Tensor forward(const at::Tensor& x);

 private:
  NormKind kind_;
  torch::nn::GroupNorm group_{nullptr};
};
TORCH_MODULE(Norm2d);

struct CUNetLayerOptions {
  // In the ODE functions; the initial-velocity block uses InstanceNorm either way (the paper's text,
  // section 3.1, and the official code agree on it).
  TORCH_ARG(NormKind, norm) = NormKind::Instance;
  TORCH_ARG(int64_t, groups) = 8;
  TORCH_ARG(Activation, activation) = Activation::Softplus;
};

// InstanceNorm -> conv3x3(C_in -> nf) -> act -> InstanceNorm -> conv1x1(nf -> 2 nf) -> act: z0 = [h0; v0].
class InitialVelocityImpl : public torch::nn::Module {
 public:
  InitialVelocityImpl(int64_t in, int64_t nf, const CUNetLayerOptions& layer);
  at::Tensor forward(const at::Tensor& x);

 private:
  CUNetLayerOptions layer_;
  Norm2d norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
};
TORCH_MODULE(InitialVelocity);

struct OdeFunctionOptions {
  OdeFunctionOptions(int64_t in, int64_t hidden, int64_t out) : in_(in), hidden_(hidden), out_(out) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, hidden);
  TORCH_ARG(int64_t, out);
  TORCH_ARG(int64_t, timeDim) = 0;  // 0: not time-conditioned (the official code)
  TORCH_ARG(CUNetLayerOptions, layer);
};

// norm -> conv3x3 -> act -> norm -> [x (scale + 1) + shift from SiLU -> Linear(t_emb)] -> conv3x3 -> act.
class OdeFunctionImpl : public torch::nn::Module {
 public:
  explicit OdeFunctionImpl(const OdeFunctionOptions& options);
  at::Tensor forward(const at::Tensor& z, const at::Tensor& timeEmbedding);

 private:
  OdeFunctionOptions options_;
  torch::nn::Sequential mlp_{nullptr};
  Norm2d norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
};
TORCH_MODULE(OdeFunction);

struct OdeBlockOptions {
  OdeBlockOptions(int64_t width, int64_t hidden) : width_(width), hidden_(hidden) {}
  TORCH_ARG(int64_t, width);   // channels of z
  TORCH_ARG(int64_t, hidden);  // channels inside the ODE function
  TORCH_ARG(int64_t, timeDim) = 0;
  TORCH_ARG(Coupling, coupling) = Coupling::SecondOrder;
  TORCH_ARG(bool, residual) = true;
  TORCH_ARG(std::string, method) = "rk4-3/8";
  TORCH_ARG(int64_t, steps) = 1;
  TORCH_ARG(double, rtol) = 1e-3;
  TORCH_ARG(double, atol) = 1e-4;
  TORCH_ARG(bool, adjoint) = false;
  TORCH_ARG(CUNetLayerOptions, layer);
};

// Integrates its ODE function over s in [0, 1].
class OdeBlockImpl : public torch::nn::Module {
 public:
  explicit OdeBlockImpl(const OdeBlockOptions& options);
  at::Tensor forward(const at::Tensor& z, const at::Tensor& timeEmbedding);

 private:
  OdeBlockOptions options_;
  OdeFunction odefunc_{nullptr};
};
TORCH_MODULE(OdeBlock);

}  // namespace missingu::models
