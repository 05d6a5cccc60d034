#pragma once
// What sample and denoise run on the compute thread: the whole reverse process of a BoundDenoiser,
// inside one autocast scope for its precision (autocast then casts each weight once, not once per step).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "diffusion/bound_denoiser.h"
#include "diffusion/denoise.h"
#include "diffusion/sampler.h"

namespace missingu::diffusion {

// Images of `shape` (N, C, H, W) from noise: x_T is drawStart's from a generator seeded with `seed`
// (or `xT`), then the reverse process runs from T - 1 to 0 with the same generator.
ReverseResult sample(const BoundDenoiser& denoiser, const Schedule& schedule, const std::vector<int64_t>& shape,
                     uint64_t seed, const std::optional<at::Tensor>& xT, const SamplerOptions& options,
                     const StepCallback& onStep);

// The denoising study (denoise.h) of x0, moved to the denoiser's device.
DenoiseTrace denoise(const BoundDenoiser& denoiser, const Schedule& schedule, const at::Tensor& x0, int64_t noiseStep,
                     uint64_t seed, const SamplerOptions& options, bool keepImages, const StepCallback& onStep);

}  // namespace missingu::diffusion
