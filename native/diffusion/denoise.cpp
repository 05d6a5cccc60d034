#include "diffusion/denoise.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/full.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "runtime/name_table.h"

namespace missingu::diffusion {
namespace {

const NameTable<TraceKind>& traceKinds() {
  static const NameTable<TraceKind> table{{"metrics", TraceKind::Metrics}, {"images", TraceKind::Images}};
  return table;
}

}  // namespace

TraceKind traceKindNamed(const std::string& name) { return traceKinds().parse(name, "trace kind"); }

std::vector<std::string> traceKindNames() { return traceKinds().names(); }

DenoiseTrace denoiseTrace(const Denoiser& denoiser, const Schedule& schedule, const at::Tensor& x0, int64_t noiseStep,
                          uint64_t seed, const SamplerOptions& options, bool keepImages, const StepCallback& onStep) {
  if (options.kind == SamplerKind::ProbabilityFlowOde) {
    throw std::invalid_argument(
        "denoise: the 'ode' sampler has no reverse steps to trace; use 'ddim', 'ddpm' or 'dpmpp-2m'");
  }
  at::NoGradGuard noGrad;
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor noise = drawNormal(generator, x0.sizes()).to(x0.device());
  const at::Tensor t = at::full({x0.size(0)}, noiseStep, at::TensorOptions().dtype(at::kLong).device(x0.device()));
  DenoiseTrace trace;
  trace.noisy = qSample(schedule, x0, t, noise);
  // Each entry is labelled with the step its reverse step started from: noiseStep first, 0 last (whose
  // result is the final clean estimate), each step once.
  const std::vector<ReverseStep> steps = samplerSteps(noiseStep, options);
  const auto closeness = [&x0](const at::Tensor& x) {
    const double mse = (x - x0).square().mean().item<double>();
    return Closeness{mse, mse > 0 ? 10 * std::log10(4.0 / mse) : std::numeric_limits<double>::infinity()};
  };
  const auto started = std::chrono::steady_clock::now();
  at::Tensor predicted;
  const ReverseResult result = reverse(
      denoiser, schedule, trace.noisy, noiseStep, options, generator,
      [&](const ReverseProgress& progress, const at::Tensor& x) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        trace.steps.push_back({steps[progress.done - 1].t, closeness(x), closeness(predicted), seconds,
                               keepImages ? x.clone() : at::Tensor(), keepImages ? predicted : at::Tensor()});
        return !onStep || onStep(progress, x);
      },
      [&predicted](int64_t, const at::Tensor& x0Hat) { predicted = x0Hat; });
  trace.stopped = result.stopped;
  return trace;
}

}  // namespace missingu::diffusion
