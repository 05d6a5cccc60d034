#pragma once
// Noise schedules (Ho et al. 2020: linear; Nichol & Dhariwal 2021: cosine; the official cU-Net code: sigmoid),
// computed in float64 on the CPU.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace missingu::diffusion {

struct Schedule {
  at::Tensor betas;              // (T,) float64
  at::Tensor alphasCumprod;      // abar_t
  at::Tensor alphasCumprodPrev;  // abar_{t-1}, with abar_{-1} = 1
  int64_t steps() const { return betas.size(0); }
};

// The most diffusion steps (T) a schedule takes: a hundred times the usual 1000, far beyond any
// published schedule; more only slows sampling and hides a typo.
inline constexpr int64_t kMaxDiffusionSteps = 100000;

enum class ScheduleKind {
  Linear,   // 1e-4 .. 0.02 (Ho et al.)
  Cosine,   // Nichol & Dhariwal, s = 0.008, betas clipped at 0.999
  Sigmoid,  // lucidrains' default: start -3, end 3, tau 1
};
std::vector<std::string> scheduleNames();  // the names schedule.cpp's table gives the kinds

// The schedule named `kind` over `steps` steps; std::invalid_argument for an unknown name (naming the
// known ones) and for steps outside [2, kMaxDiffusionSteps].
Schedule makeSchedule(const std::string& kind, int64_t steps);

// improved-diffusion's space_timesteps (respace.py) for one section: `count` steps spread evenly over
// [0, T - 1], ascending, always including 0 ({0} alone for one step). A sampler steps between them with
// beta'_i = 1 - abar_{t_i} / abar_{t_{i-1}} (steps.h).
std::vector<int64_t> spacedTimesteps(int64_t totalSteps, int64_t count);

}  // namespace missingu::diffusion
