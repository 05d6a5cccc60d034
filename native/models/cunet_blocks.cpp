#include "models/cunet_blocks.h"

#include <ATen/TensorOperators.h>
#include <ATen/autocast_mode.h>
#include <ATen/ops/addcmul.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/instance_norm.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "models/pointwise_conv.h"
#include "ode/adjoint.h"
#include "ode/dynamics.h"
#include "ode/solve.h"

namespace missingu::models {

namespace {

// The largest divisor of `channels` that is at most `groups`.
int64_t groupsFor(int64_t channels, int64_t groups) {
  int64_t g = std::max<int64_t>(1, std::min(groups, channels));
  while (channels % g != 0) --g;
  return g;
}

}  // namespace

Norm2dImpl::Norm2dImpl(NormKind kind, int64_t channels, int64_t groups) : kind_(kind) {
  if (kind == NormKind::Group) {
    group_ = register_module("norm", torch::nn::GroupNorm(groupsFor(channels, groups), channels));
  }
}

at::Tensor Norm2dImpl::forward(const at::Tensor& x) {
  if (kind_ == NormKind::Group) return group_->forward(x);
  return at::instance_norm(x, {}, {}, {}, {}, /*use_input_stats=*/true, 0.1, 1e-5, /*cudnn_enabled=*/true);
}

namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2));
}

}  // namespace

InitialVelocityImpl::InitialVelocityImpl(int64_t in, int64_t nf, const CUNetLayerOptions& layer) : layer_(layer) {
  norm1_ = register_module("norm1", Norm2d(NormKind::Instance, in, 1));
  conv1_ = register_module("conv1", conv(in, nf, 3));
  norm2_ = register_module("norm2", Norm2d(NormKind::Instance, nf, 1));
  conv2_ = register_module("conv2", conv(nf, 2 * nf, 1));
}

at::Tensor InitialVelocityImpl::forward(const at::Tensor& x) {
  const at::Tensor h = activate(conv1_->forward(norm1_->forward(x)), layer_.activation());
  return activate(pointwiseConv(conv2_, norm2_->forward(h)), layer_.activation());
}

OdeFunctionImpl::OdeFunctionImpl(const OdeFunctionOptions& o) : options_(o) {
  if (o.timeDim() > 0) {
    mlp_ = register_module("mlp",
                           torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(o.timeDim(), 2 * o.hidden())));
  }
  const CUNetLayerOptions& layer = o.layer();
  norm1_ = register_module("norm1", Norm2d(layer.norm(), o.in(), layer.groups()));
  conv1_ = register_module("conv1", conv(o.in(), o.hidden(), 3));
  norm2_ = register_module("norm2", Norm2d(layer.norm(), o.hidden(), layer.groups()));
  conv2_ = register_module("conv2", conv(o.hidden(), o.out(), 3));
}

at::Tensor OdeFunctionImpl::forward(const at::Tensor& z, const at::Tensor& timeEmbedding) {
  const Activation act = options_.layer().activation();
  at::Tensor h = norm2_->forward(activate(conv1_->forward(norm1_->forward(z)), act));
  if (mlp_) {
    const auto scaleShift = mlp_->forward(timeEmbedding).unsqueeze(-1).unsqueeze(-1).chunk(2, 1);
    h = at::addcmul(scaleShift[1], h, scaleShift[0] + 1);  // h (scale + 1) + shift in one pass
  }
  return activate(conv2_->forward(h), act);
}

OdeBlockImpl::OdeBlockImpl(const OdeBlockOptions& o) : options_(o) {
  const int64_t out = o.coupling() == Coupling::SecondOrder ? o.width() / 2 : o.width();
  if (o.coupling() == Coupling::SecondOrder && o.width() % 2 != 0) {
    throw std::invalid_argument("a second-order ODE block needs an even width, got " + std::to_string(o.width()));
  }
  odefunc_ = register_module(
      "odefunc", OdeFunction(OdeFunctionOptions(o.width(), o.hidden(), out).timeDim(o.timeDim()).layer(o.layer())));
}

at::Tensor OdeBlockImpl::forward(const at::Tensor& input, const at::Tensor& timeEmbedding) {
  // Under autocast the state is integrated in the low precision too: every stage would otherwise cast
  // float32 stages down for the convolutions and promote their bf16 outputs back up.
  const c10::DeviceType deviceType = input.device().type();
  const at::Tensor z =
      at::autocast::is_autocast_enabled(deviceType) ? input.to(at::autocast::get_autocast_dtype(deviceType)) : input;
  OdeFunction f = odefunc_;
  const bool residual = options_.residual();
  std::vector<at::Tensor> parameters = f->parameters();
  if (timeEmbedding.defined() && timeEmbedding.requires_grad()) parameters.push_back(timeEmbedding);

  std::shared_ptr<ode::Dynamics> dynamics;
  ode::State z0;
  if (options_.coupling() == Coupling::AugmentedFirstOrder) {
    dynamics = std::make_shared<ode::FirstOrderDynamics>(
        [f, residual, timeEmbedding](const at::Tensor& state, double) mutable {
          const at::Tensor d = f->forward(state, timeEmbedding);
          return residual ? d + state : d;
        },
        parameters);
    z0 = {z};
  } else {
    dynamics = std::make_shared<ode::SecondOrderDynamics>(
        [f, residual, timeEmbedding](const at::Tensor& h, const at::Tensor& v, double) mutable {
          const at::Tensor a = f->forward(at::cat({h, v}, 1), timeEmbedding);
          return residual ? a + h : a;
        },
        parameters);
    const auto halves = z.chunk(2, 1);
    z0 = {halves[0].contiguous(), halves[1].contiguous()};
  }
  ode::SolveOptions solve;
  solve.method = options_.method();
  solve.steps = options_.steps();
  solve.rtol = options_.rtol();
  solve.atol = options_.atol();
  const ode::State z1 = options_.adjoint() && is_training() ? ode::solveAdjoint(dynamics, z0, 0.0, 1.0, solve).y
                                                            : ode::solve(*dynamics, z0, 0.0, 1.0, solve).y;
  return z1.size() == 1 ? z1[0] : at::cat(z1, 1);
}

}  // namespace missingu::models
