#pragma once
// The denoising study (paper 4.2): noise a clean image to step t, run the reverse process back to 0
// and follow how close each step gets to the clean image: both x_{t_prev} and the clean image the
// step predicted (x0-hat), which is the better estimate early in the reverse process.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "diffusion/sampler.h"

namespace missingu::diffusion {

// What a trace keeps after every step: only the metrics, or the images too.
enum class TraceKind { Metrics, Images };
TraceKind traceKindNamed(const std::string& name);
std::vector<std::string> traceKindNames();

struct Closeness {
  double mse;   // mean over the batch and pixels, against x_0
  double psnr;  // for data range 2 ([-1, 1] images), in dB
};

struct DenoiseStep {
  int64_t t;                // the step this reverse step started from (the model saw x_t at t): noiseStep first, 0 last
  Closeness current;        // of the step's result x_{t_prev}
  Closeness predicted;      // of the clean image the step predicted (x0-hat)
  double seconds;           // since the reverse process started
  at::Tensor currentImage;  // x_{t_prev}, only when images are kept
  at::Tensor predictedImage;  // x0-hat, only when images are kept
};

struct DenoiseTrace {
  at::Tensor noisy;  // x_t
  std::vector<DenoiseStep> steps;
  bool stopped = false;
};

// noise = the first randn draw of a generator seeded with `seed`; x_t = q_sample(x_0, t, noise);
// then reverse() continues with the same generator.
DenoiseTrace denoiseTrace(const Denoiser& denoiser, const Schedule& schedule, const at::Tensor& x0, int64_t noiseStep,
                          uint64_t seed, const SamplerOptions& options, bool keepImages, const StepCallback& onStep);

}  // namespace missingu::diffusion
