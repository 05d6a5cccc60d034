#pragma once
// A network as the reverse process calls it: a built-in model or a TorchScript module turned into a
// Denoiser, with the device it runs on, the precision it runs in and (for built-in models) the images
// it takes. sample and denoise bind one this way; samplers still see only the Denoiser.
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>

#include "diffusion/denoiser.h"
#include "runtime/precision.h"

namespace torch::jit {
struct Module;
}  // namespace torch::jit

namespace missingu::models {
class DenoiserImpl;
struct ModelSpec;
}  // namespace missingu::models

namespace missingu::diffusion {

struct BoundDenoiser {
  Denoiser call;
  c10::Device device{c10::kCPU};
  int64_t channels = 0, imageSize = 0;  // known for built-in models; 0 for TorchScript
  Precision precision = Precision::Fp32;
};

// A built-in model (spec resolved) on `device`, running in `precision` unless told otherwise.
BoundDenoiser bindModel(std::shared_ptr<models::DenoiserImpl> model, const models::ModelSpec& spec, c10::Device device,
                        Precision precision);

// A TorchScript module whose forward(x, t) returns a Tensor of x's shape (a runtime_error says so
// otherwise), on the device of its first parameter (the CPU when it has none), in fp32.
BoundDenoiser bindScript(const torch::jit::Module& module);

// Runs the denoiser in `precision` (std::invalid_argument naming `where` when the device cannot): the
// network's output comes back as float32, so the sampler's arithmetic stays float32. The autocast
// scope itself is opened around the whole loop (bound_sampling.h).
void setPrecision(BoundDenoiser& denoiser, Precision precision, const std::string& where);

// The denoiser's forward captured once in a CUDA graph and replayed at every step; the per-step
// update around it stays eager (its noise comes from the CPU generator). std::invalid_argument naming
// `where` off CUDA, and in a CPU-only build.
void graphDenoiser(BoundDenoiser& denoiser, const std::string& where);

}  // namespace missingu::diffusion
