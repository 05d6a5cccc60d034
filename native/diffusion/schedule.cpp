#include "diffusion/schedule.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/clamp.h>
#include <ATen/ops/cos.h>
#include <ATen/ops/cumprod.h>
#include <ATen/ops/linspace.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/sigmoid.h>

#include <cmath>
#include <stdexcept>

#include "runtime/name_table.h"

namespace missingu::diffusion {
namespace {

const NameTable<ScheduleKind>& schedules() {
  static const NameTable<ScheduleKind> table{
      {"linear", ScheduleKind::Linear}, {"cosine", ScheduleKind::Cosine}, {"sigmoid", ScheduleKind::Sigmoid}};
  return table;
}

const auto kDouble = at::TensorOptions().dtype(at::kDouble);

Schedule fromBetas(const at::Tensor& betas) {
  Schedule s;
  s.betas = betas;
  s.alphasCumprod = at::cumprod(1.0 - betas, 0);
  s.alphasCumprodPrev = at::cat({at::ones({1}, kDouble), s.alphasCumprod.slice(0, 0, -1)});
  return s;
}

// betas from a continuous abar(u), u in [0, 1]: beta_t = 1 - abar((t+1)/T) / abar(t/T), clipped at 0.999.
at::Tensor betasFromCumulative(const at::Tensor& abar) {
  const at::Tensor ratio = abar.slice(0, 1) / abar.slice(0, 0, -1);
  return at::clamp(1.0 - ratio, 0.0, 0.999);
}

// Python 3's round(x) for x >= 0: to the nearest integer, ties to the even one.
int64_t roundHalfEven(double x) {
  const double below = std::floor(x);
  const double fraction = x - below;
  const auto lower = static_cast<int64_t>(below);
  if (fraction > 0.5) return lower + 1;
  if (fraction < 0.5) return lower;
  return lower % 2 == 0 ? lower : lower + 1;
}

}  // namespace

std::vector<std::string> scheduleNames() { return schedules().names(); }

Schedule makeSchedule(const std::string& kind, int64_t steps) {
  if (steps < 2 || steps > kMaxDiffusionSteps) {
    throw std::invalid_argument("diffusionSteps (T) must be in [2, " + std::to_string(kMaxDiffusionSteps) + "], got " +
                                std::to_string(steps));
  }
  switch (schedules().parse(kind, "noise schedule")) {
    case ScheduleKind::Linear: {
      // Ho et al.'s 1e-4 .. 0.02 at T = 1000, scaled so other T keep the same total noise.
      const double scale = 1000.0 / static_cast<double>(steps);
      return fromBetas(at::linspace(scale * 1e-4, scale * 0.02, steps, kDouble));
    }
    case ScheduleKind::Cosine: {
      const double s = 0.008;
      const at::Tensor u = at::linspace(0.0, 1.0, steps + 1, kDouble);
      const at::Tensor f = at::cos((u + s) / (1 + s) * (M_PI / 2)).square();
      return fromBetas(betasFromCumulative(f / f[0]));
    }
    case ScheduleKind::Sigmoid: {
      const double start = -3, end = 3, tau = 1;
      const at::Tensor u = at::linspace(0.0, 1.0, steps + 1, kDouble);
      const double vStart = 1 / (1 + std::exp(-start / tau)), vEnd = 1 / (1 + std::exp(-end / tau));
      const at::Tensor f = (-at::sigmoid((u * (end - start) + start) / tau) + vEnd) / (vEnd - vStart);
      return fromBetas(betasFromCumulative(f / f[0]));
    }
  }
  throw std::logic_error("makeSchedule: a schedule kind without a case");
}

std::vector<int64_t> spacedTimesteps(int64_t totalSteps, int64_t count) {
  if (count < 1 || count > totalSteps) {
    throw std::invalid_argument("sampling steps must be between 1 and T = " + std::to_string(totalSteps) + ", got " +
                                std::to_string(count));
  }
  // As improved-diffusion's respace.py does it: a running sum of the fractional stride (not i * stride),
  // each value rounded half to even (Python's round); one step is {0}.
  const double stride = count <= 1 ? 1.0 : static_cast<double>(totalSteps - 1) / static_cast<double>(count - 1);
  std::vector<int64_t> out;
  double index = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    out.push_back(roundHalfEven(index));
    index += stride;
  }
  return out;
}

}  // namespace missingu::diffusion
