#include "diffusion/objective.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/clamp.h>
#include <ATen/ops/clamp_max.h>
#include <ATen/ops/ones_like.h>
#include <ATen/ops/sqrt.h>

#include <stdexcept>

#include "runtime/name_table.h"

namespace missingu::diffusion {
namespace {

const NameTable<Objective>& objectives() {
  static const NameTable<Objective> table{{"eps", Objective::Eps}, {"x0", Objective::X0}, {"v", Objective::V}};
  return table;
}

}  // namespace

Objective objectiveNamed(const std::string& name) { return objectives().parse(name, "objective"); }

std::vector<std::string> objectiveNames() { return objectives().names(); }

at::Tensor extract(const at::Tensor& values, const at::Tensor& t, const at::Tensor& like) {
  const at::Tensor picked = values.index_select(0, t.to(at::kCPU, at::kLong));
  return picked.to(like.device(), like.scalar_type()).view({-1, 1, 1, 1});
}

at::Tensor qSample(const Schedule& schedule, const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise) {
  const at::Tensor abar = schedule.alphasCumprod;
  return extract(at::sqrt(abar), t, x0) * x0 + extract(at::sqrt(1.0 - abar), t, x0) * noise;
}

at::Tensor target(Objective objective, const Schedule& schedule, const at::Tensor& x0, const at::Tensor& noise,
                  const at::Tensor& t) {
  switch (objective) {
    case Objective::Eps: return noise;
    case Objective::X0: return x0;
    case Objective::V: {
      const at::Tensor abar = schedule.alphasCumprod;
      return extract(at::sqrt(abar), t, x0) * noise - extract(at::sqrt(1.0 - abar), t, x0) * x0;
    }
  }
  return noise;
}

at::Tensor lossWeights(Objective objective, const Schedule& schedule, const at::Tensor& t, bool snrWeighting,
                       double minSnrGamma, const at::Tensor& like) {
  if (!snrWeighting) return at::ones_like(extract(schedule.alphasCumprod, t, like));
  const at::Tensor abar = schedule.alphasCumprod;
  const at::Tensor snr = abar / (1.0 - abar);
  const at::Tensor clipped = minSnrGamma > 0 ? at::clamp_max(snr, minSnrGamma) : snr;
  at::Tensor weights;
  switch (objective) {
    case Objective::Eps: weights = clipped / snr; break;
    case Objective::X0: weights = clipped; break;
    case Objective::V: weights = clipped / (snr + 1.0); break;
  }
  return extract(weights, t, like);
}

Prediction predict(Objective objective, const Schedule& schedule, const at::Tensor& xt, const at::Tensor& t,
                   const at::Tensor& output, bool clip) {
  const at::Tensor abar = schedule.alphasCumprod;
  const at::Tensor sqrtAbar = extract(at::sqrt(abar), t, xt);
  const at::Tensor sqrtOneMinus = extract(at::sqrt(1.0 - abar), t, xt);
  Prediction p;
  switch (objective) {
    case Objective::Eps:
      p.eps = output;
      p.x0 = (xt - sqrtOneMinus * output) / sqrtAbar;
      break;
    case Objective::X0:
      p.x0 = output;
      p.eps = (xt - sqrtAbar * output) / sqrtOneMinus;
      break;
    case Objective::V:
      p.x0 = sqrtAbar * xt - sqrtOneMinus * output;
      p.eps = sqrtOneMinus * xt + sqrtAbar * output;
      break;
  }
  if (clip) {
    p.x0 = at::clamp(p.x0, -1.0, 1.0);
    p.eps = (xt - sqrtAbar * p.x0) / sqrtOneMinus;
  }
  return p;
}

}  // namespace missingu::diffusion
