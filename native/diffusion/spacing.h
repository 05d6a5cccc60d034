#pragma once
// Which of the T diffusion steps a reverse process of n steps visits, and where each one lands.
// 'improved' is improved-diffusion's space_timesteps; 'official' is the grid of the official code's
// ddim_sample (lucidrains' denoising-diffusion-pytorch: linspace(-1, T - 1, n + 1), truncated);
// 'leading', 'trailing' and 'linspace' are diffusers' DDIMScheduler.set_timesteps, whose step from t
// lands on t - T // n, not on the next visited step. A landing below 0 is the clean image (abar = 1,
// diffusers' set_alpha_to_one).
#include <cstdint>
#include <string>
#include <vector>

namespace missingu::diffusion {

enum class Spacing { Improved, Official, Leading, Trailing, Linspace };
Spacing spacingNamed(const std::string& name);  // std::invalid_argument naming the spacings otherwise
std::vector<std::string> spacingNames();

struct ReverseStep {
  int64_t t;      // the step the network sees
  int64_t tPrev;  // where the update lands; -1 is the clean image
};

// The reverse steps from `fromStep` down, in the order they run. A process that starts below T - 1
// (denoising from x_t) spaces its steps over [0, fromStep] as if the schedule had fromStep + 1 steps.
// steps = 0 visits every step (each lands on the one below); otherwise 1 <= steps <= fromStep + 1.
std::vector<ReverseStep> reverseSteps(int64_t fromStep, int64_t steps, Spacing spacing);

}  // namespace missingu::diffusion
