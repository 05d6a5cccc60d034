#pragma once
// The forward process q(x_t | x_0) and what the network is trained to predict.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "diffusion/schedule.h"

namespace missingu::diffusion {

enum class Objective { Eps, X0, V };
Objective objectiveNamed(const std::string& name);  // std::invalid_argument naming the objectives otherwise
std::vector<std::string> objectiveNames();          // the names objective.cpp's table gives them

// values[t] for each of the batch's steps t, shaped (B, 1, 1, 1) like `like` (dtype and device).
at::Tensor extract(const at::Tensor& values, const at::Tensor& t, const at::Tensor& like);

// x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
at::Tensor qSample(const Schedule& schedule, const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise);

// What the network should output for (x_0, eps, t): eps, x_0, or v = sqrt(abar) eps - sqrt(1 - abar) x_0.
at::Tensor target(Objective objective, const Schedule& schedule, const at::Tensor& x0, const at::Tensor& noise,
                  const at::Tensor& t);

// Per-sample loss weights: 1, or lucidrains' SNR weights (eps: 1, x0: snr, v: snr / (snr + 1)),
// with SNR clipped at minSnrGamma when it is positive (Hang et al. 2023).
at::Tensor lossWeights(Objective objective, const Schedule& schedule, const at::Tensor& t, bool snrWeighting,
                       double minSnrGamma, const at::Tensor& like);

struct Prediction {
  at::Tensor x0;
  at::Tensor eps;
};

// x_0 and eps implied by the network output at (x_t, t); x_0 clipped to [-1, 1] when asked (and
// eps recomputed from the clipped x_0, as improved-diffusion does).
Prediction predict(Objective objective, const Schedule& schedule, const at::Tensor& xt, const at::Tensor& t,
                   const at::Tensor& output, bool clip);

}  // namespace missingu::diffusion
