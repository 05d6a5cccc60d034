#include "models/diagnostics.h"

#include <ATen/core/grad_mode.h>

#include "models/denoiser.h"

namespace missingu::models {

std::vector<std::pair<std::string, double>> gradientNorms(DenoiserImpl& model, const at::Tensor& x,
                                                          const at::Tensor& t) {
  at::AutoGradMode grad(true);
  model.zero_grad();
  model.forward(x, t).square().mean().backward();
  std::vector<std::pair<std::string, double>> norms;
  for (const auto& item : model.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    const at::Tensor& g = item.value().grad();
    norms.emplace_back(item.key(), g.defined() ? g.norm().item<double>() : 0.0);
  }
  model.zero_grad();
  return norms;
}

std::vector<OpTime> profilePass(DenoiserImpl& model, const at::Tensor& x, const at::Tensor& t, bool backward,
                                Precision precision, c10::DeviceType deviceType) {
  const auto pass = [&] {
    at::AutoGradMode grad(backward);
    at::Tensor out;
    {
      const PrecisionScope scope(precision, deviceType);
      out = model.forward(x, t);
    }
    if (backward) out.to(at::kFloat).square().mean().backward();
  };
  pass();  // warm-up: first calls allocate and pick kernels
  std::vector<OpTime> rows = profileOps(pass);
  model.zero_grad();
  return rows;
}

}  // namespace missingu::models
