#include "diffusion/spacing.h"

#include <ATen/ops/linspace.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "diffusion/schedule.h"
#include "runtime/name_table.h"

namespace missingu::diffusion {
namespace {

const NameTable<Spacing>& spacings() {
  static const NameTable<Spacing> table{{"improved", Spacing::Improved},
                                        {"official", Spacing::Official},
                                        {"leading", Spacing::Leading},
                                        {"trailing", Spacing::Trailing},
                                        {"linspace", Spacing::Linspace}};
  return table;
}

// Each visited step lands on the next one visited, the last on the clean image.
std::vector<ReverseStep> chained(const std::vector<int64_t>& descending) {
  std::vector<ReverseStep> out;
  for (size_t i = 0; i < descending.size(); ++i) {
    out.push_back({descending[i], i + 1 < descending.size() ? descending[i + 1] : -1});
  }
  return out;
}

// diffusers' DDIMScheduler.step: from t to t - T // n, below 0 the final alpha (1).
std::vector<ReverseStep> strided(const std::vector<int64_t>& descending, int64_t total, int64_t steps) {
  const int64_t stride = total / steps;
  std::vector<ReverseStep> out;
  for (const int64_t t : descending) out.push_back({t, std::max<int64_t>(t - stride, -1)});
  return out;
}

// numpy's round (half to even) of float64 values, as diffusers computes its grids.
int64_t roundEven(double value) { return static_cast<int64_t>(std::nearbyint(value)); }

}  // namespace

Spacing spacingNamed(const std::string& name) { return spacings().parse(name, "timestep spacing"); }

std::vector<std::string> spacingNames() { return spacings().names(); }

std::vector<ReverseStep> reverseSteps(int64_t fromStep, int64_t steps, Spacing spacing) {
  const int64_t total = fromStep + 1;
  if (steps == 0) {
    std::vector<int64_t> all;
    for (int64_t t = fromStep; t >= 0; --t) all.push_back(t);
    return chained(all);
  }
  if (steps < 1 || steps > total) {
    throw std::invalid_argument("sampling steps must be between 1 and T = " + std::to_string(total) + ", got " +
                                std::to_string(steps));
  }
  std::vector<int64_t> descending;
  switch (spacing) {
    case Spacing::Improved: {
      const std::vector<int64_t> ascending = spacedTimesteps(total, steps);
      descending.assign(ascending.rbegin(), ascending.rend());
      return chained(descending);
    }
    case Spacing::Official: {
      // torch.linspace(-1, T - 1, n + 1) in float32, then .int(): libtorch's own linspace, so the
      // rounding of every grid point is PyTorch's.
      const at::Tensor grid = at::linspace(-1.0, static_cast<double>(fromStep), steps + 1, at::kFloat).to(at::kInt);
      const auto values = grid.accessor<int32_t, 1>();
      for (int64_t i = steps; i >= 1; --i) descending.push_back(values[i]);
      return chained(descending);
    }
    case Spacing::Leading: {
      // (np.arange(0, n) * (T // n)).round()[::-1]
      const int64_t ratio = total / steps;
      for (int64_t i = steps - 1; i >= 0; --i) descending.push_back(i * ratio);
      return strided(descending, total, steps);
    }
    case Spacing::Trailing: {
      // np.round(np.arange(T, 0, -T / n)) - 1, with numpy's arange: ceil(T / (T / n)) values, the i-th
      // T + i * delta. That count is n + 1 for some n (61, 103, ... at T = 1000), the extra value being
      // about 0, which diffusers would run at t = -1; only the first n are kept.
      const double ratio = static_cast<double>(total) / static_cast<double>(steps);
      const double start = static_cast<double>(total);
      const double delta = (start - ratio) - start;
      for (int64_t i = 0; i < steps; ++i) descending.push_back(roundEven(start + static_cast<double>(i) * delta) - 1);
      return strided(descending, total, steps);
    }
    case Spacing::Linspace: {
      // np.linspace(0, T - 1, n).round()[::-1]: the i-th value i * ((T - 1) / (n - 1)), the last T - 1
      // (one step: 0).
      const double stride = steps == 1 ? 0.0 : static_cast<double>(fromStep) / static_cast<double>(steps - 1);
      for (int64_t i = steps - 1; i >= 0; --i) {
        descending.push_back(i > 0 && i == steps - 1 ? fromStep : roundEven(static_cast<double>(i) * stride));
      }
      return strided(descending, total, steps);
    }
  }
  throw std::logic_error("reverseSteps: a spacing without a case");
}

}  // namespace missingu::diffusion
