#include "diffusion/bound_sampling.h"

#include <ATen/CPUGeneratorImpl.h>

namespace missingu::diffusion {

ReverseResult sample(const BoundDenoiser& denoiser, const Schedule& schedule, const std::vector<int64_t>& shape,
                     uint64_t seed, const std::optional<at::Tensor>& xT, const SamplerOptions& options,
                     const StepCallback& onStep) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor start = drawStart(generator, shape, xT, denoiser.device);
  const PrecisionScope precision(denoiser.precision, denoiser.device.type());
  return reverse(denoiser.call, schedule, start, schedule.steps() - 1, options, generator, onStep);
}

DenoiseTrace denoise(const BoundDenoiser& denoiser, const Schedule& schedule, const at::Tensor& x0, int64_t noiseStep,
                     uint64_t seed, const SamplerOptions& options, bool keepImages, const StepCallback& onStep) {
  const PrecisionScope precision(denoiser.precision, denoiser.device.type());
  return denoiseTrace(denoiser.call, schedule, x0.to(denoiser.device), noiseStep, seed, options, keepImages, onStep);
}

}  // namespace missingu::diffusion
