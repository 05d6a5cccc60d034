#include "napi/diffusion_binding.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/full.h>
#include <c10/util/StringUtil.h>

#include <memory>
#include <optional>
#include <stdexcept>

#include "diffusion/bound_sampling.h"
#include "napi/async_job.h"
#include "napi/errors.h"
#include "napi/generator.h"
#include "napi/job_control.h"
#include "napi/model_binding.h"
#include "napi/model_options.h"
#include "napi/options.h"
#include "napi/script_module.h"
#include "napi/tensor.h"

namespace missingu {
namespace {

// sample's and denoise's options, every key given but steps, shape and xT (lib/schemas/diffusion-options.ts
// holds the defaults). The JS side names each in its own schema; here every read key is known to finish().

struct DiffusionSetup {
  diffusion::Schedule schedule;
  diffusion::SamplerOptions sampler;
};

DiffusionSetup readDiffusion(const OptionReader& opts) {
  DiffusionSetup setup;
  setup.schedule = diffusion::makeSchedule(opts.string("schedule"),
                                           opts.integer("diffusionSteps", 2, diffusion::kMaxDiffusionSteps));
  setup.sampler.kind = diffusion::samplerNamed(opts.string("sampler"));
  // Absent: every step of T (0 inside); given, at least 1.
  setup.sampler.steps = opts.optionalInteger("steps", 1, diffusion::kMaxDiffusionSteps).value_or(0);
  setup.sampler.spacing = diffusion::spacingNamed(opts.oneOf("spacing", diffusion::spacingNames()));
  setup.sampler.eta = opts.number("eta");
  setup.sampler.variance = diffusion::ddpmVarianceNamed(opts.oneOf("variance", diffusion::ddpmVarianceNames()));
  setup.sampler.clip = opts.boolean("clip");
  setup.sampler.objective = diffusion::objectiveNamed(opts.string("objective"));
  // The 'ode' sampler's solver; sample passes it always, the step-wise Scheduler never.
  if (opts.has("ode")) {
    const OptionReader ode = opts.child("ode");
    setup.sampler.ode.solve.method = ode.string("method");
    setup.sampler.ode.solve.steps = ode.optionalInteger("steps", 1, kMaxSafeInteger).value_or(0);
    setup.sampler.ode.solve.rtol = ode.number("rtol");
    setup.sampler.ode.solve.atol = ode.number("atol");
    setup.sampler.ode.solve.maxSteps = ode.integer("maxSteps", 1, kMaxSafeInteger);
    setup.sampler.ode.epsilon = ode.number("epsilon");
    ode.finish();
  }
  return setup;
}

// A Model or a ScriptModule (TypeErrors name `where` for anything else).
diffusion::BoundDenoiser bindDenoiser(const Napi::Value& value, const std::string& where) {
  if (ModelWrap::isModel(value)) {
    const ModelWrap::Spec spec = ModelWrap::unwrap(value, where + ": denoiser");
    return diffusion::bindModel(spec.model, spec.spec, spec.device, spec.precision);
  }
  return diffusion::bindScript(ScriptModuleWrap::unwrap(value, where + ": denoiser (a Model or a ScriptModule)"));
}

// The `precision` option (absent: the Model's own, fp32 for TorchScript).
void choosePrecision(diffusion::BoundDenoiser& denoiser, const OptionReader& opts, const std::string& where) {
  diffusion::setPrecision(denoiser, optionalPrecision(opts, where, denoiser.precision), where);
}

std::vector<int64_t> imageShape(const OptionReader& opts, const diffusion::BoundDenoiser& denoiser,
                                const std::string& where) {
  if (opts.has("shape")) {
    return sizesArgument(opts.value("shape"), where + ": shape", 1, 3, "[C, H, W]");
  }
  if (denoiser.channels == 0) {
    throw std::invalid_argument(where + ": give shape [C, H, W] for a TorchScript denoiser");
  }
  return {denoiser.channels, denoiser.imageSize, denoiser.imageSize};
}

Napi::Object progressObject(Napi::Env env, const diffusion::ReverseProgress& progress) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("step", static_cast<double>(progress.done));
  o.Set("total", static_cast<double>(progress.total));
  o.Set("nfe", static_cast<double>(progress.nfe));
  return o;
}

diffusion::StepCallback reporting(const std::shared_ptr<JobControl>& control) {
  return [control](const diffusion::ReverseProgress& progress, const at::Tensor&) {
    control->report([progress](Napi::Env env, Napi::Function fn) { fn.Call({progressObject(env, progress)}); });
    return !control->aborted();
  };
}

}  // namespace

Napi::Value diffusionSample(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    diffusion::BoundDenoiser denoiser = bindDenoiser(info[0], "sample");
    const OptionReader opts(info[1], "sample");
    const bool cudaGraph = opts.boolean("cudaGraph");
    choosePrecision(denoiser, opts, "sample");
    const DiffusionSetup setup = readDiffusion(opts);
    const int64_t n = opts.integer("n", 1, kMaxSafeInteger);
    std::vector<int64_t> shape = imageShape(opts, denoiser, "sample");
    shape.insert(shape.begin(), n);
    const uint64_t seed = opts.seed("seed");
    const std::optional<at::Tensor> start = opts.optionalTensor("xT");
    opts.finish();
    if (cudaGraph) diffusion::graphDenoiser(denoiser, "sample");
    if (start && start->sizes() != at::IntArrayRef(shape)) {
      throw std::invalid_argument("sample: xT has shape " + c10::str(start->sizes()) + ", expected " + c10::str(shape));
    }
    auto control = std::make_shared<JobControl>(env, info[2], info[3]);
    auto result = std::make_shared<diffusion::ReverseResult>();
    return runAsync(
        env,
        [=] {
          *result = diffusion::sample(denoiser, setup.schedule, shape, seed, start, setup.sampler, reporting(control));
        },
        [result](Napi::Env e) -> Napi::Value {
          Napi::Object out = Napi::Object::New(e);
          out.Set("samples", TensorWrap::wrap(e, result->x));
          out.Set("stepsDone", static_cast<double>(result->stepsDone));
          out.Set("nfe", static_cast<double>(result->nfe));
          out.Set("aborted", result->stopped);
          return out;
        },
        "sampling failed: ", control);
  });
}

Napi::Value diffusionDenoise(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    diffusion::BoundDenoiser denoiser = bindDenoiser(info[0], "denoise");
    const at::Tensor x0 = TensorWrap::unwrap(info[1], "denoise: image");
    const OptionReader opts(info[2], "denoise");
    choosePrecision(denoiser, opts, "denoise");
    const DiffusionSetup setup = readDiffusion(opts);
    const int64_t noiseStep = opts.integer("noiseStep", 0, setup.schedule.steps() - 1);
    const uint64_t seed = opts.seed("seed");
    const bool keepImages =
        diffusion::traceKindNamed(opts.oneOf("trace", diffusion::traceKindNames())) == diffusion::TraceKind::Images;
    opts.finish();
    if (x0.dim() != 4) throw std::invalid_argument("denoise: image must be (B, C, H, W), got " + c10::str(x0.sizes()));
    auto control = std::make_shared<JobControl>(env, info[3], info[4]);
    auto trace = std::make_shared<diffusion::DenoiseTrace>();
    return runAsync(
        env,
        [=] {
          *trace = diffusion::denoise(denoiser, setup.schedule, x0, noiseStep, seed, setup.sampler, keepImages,
                                      reporting(control));
        },
        [trace](Napi::Env e) -> Napi::Value {
          Napi::Object out = Napi::Object::New(e);
          out.Set("noisy", TensorWrap::wrap(e, trace->noisy));
          Napi::Array steps = Napi::Array::New(e, trace->steps.size());
          for (size_t i = 0; i < trace->steps.size(); ++i) {
            const diffusion::DenoiseStep& s = trace->steps[i];
            Napi::Object row = Napi::Object::New(e);
            row.Set("t", static_cast<double>(s.t));
            row.Set("mse", s.current.mse);
            row.Set("psnr", s.current.psnr);
            row.Set("predictedMse", s.predicted.mse);
            row.Set("predictedPsnr", s.predicted.psnr);
            row.Set("seconds", s.seconds);
            if (s.currentImage.defined()) row.Set("image", TensorWrap::wrap(e, s.currentImage));
            if (s.predictedImage.defined()) row.Set("predicted", TensorWrap::wrap(e, s.predictedImage));
            steps.Set(i, row);
          }
          out.Set("trace", steps);
          out.Set("aborted", trace->stopped);
          return out;
        },
        "denoising failed: ", control);
  });
}

Napi::Value diffusionSchedule(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    if (!info[0].IsString() || !info[1].IsNumber())
      throwTypeError(env, "schedule(kind, T) expects a name and a number");
    const diffusion::Schedule s =
        diffusion::makeSchedule(info[0].As<Napi::String>().Utf8Value(),
                                integerArgument(info[1], "schedule: diffusionSteps", 2, diffusion::kMaxDiffusionSteps));
    const auto copy = [&](const at::Tensor& values) {
      Napi::Float64Array out = Napi::Float64Array::New(env, values.size(0));
      const auto a = values.accessor<double, 1>();
      for (int64_t i = 0; i < values.size(0); ++i) out[static_cast<size_t>(i)] = a[i];
      return out;
    };
    Napi::Object out = Napi::Object::New(env);
    out.Set("betas", copy(s.betas));
    out.Set("alphasCumprod", copy(s.alphasCumprod));
    return out;
  });
}

Napi::Value diffusionQSample(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const at::Tensor x0 = TensorWrap::unwrap(info[0], "qSample: x0");
    const at::Tensor t = TensorWrap::unwrap(info[1], "qSample: t");
    const at::Tensor noise = TensorWrap::unwrap(info[2], "qSample: noise");
    const OptionReader opts(info[3], "qSample");
    const diffusion::Schedule s = diffusion::makeSchedule(
        opts.string("schedule"), opts.integer("diffusionSteps", 2, diffusion::kMaxDiffusionSteps));
    if (t.dim() != 1 || t.size(0) != x0.size(0) || noise.sizes() != x0.sizes()) {
      throw std::invalid_argument("qSample: t must be (B,) and noise the shape of x0");
    }
    at::Tensor out;
    runOnComputeThread([&] { out = diffusion::qSample(s, x0, t.to(at::kLong), noise); });
    return TensorWrap::wrap(env, out);
  });
}

Napi::Value seededRandn(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    if (!info[0].IsArray() || !info[1].IsNumber()) throwTypeError(env, "randn(shape, seed) expects sizes and a seed");
    const std::vector<int64_t> shape = sizesArgument(info[0], "randn: shape", 0);
    const uint64_t seed = seedArgument(info[1], "randn: seed");
    at::Tensor out;
    runOnComputeThread([&] {
      at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
      out = diffusion::drawNormal(generator, shape);
    });
    return TensorWrap::wrap(env, out);
  });
}

Napi::Value diffusionReverseSteps(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const int64_t total = integerArgument(info[0], "timesteps: diffusionSteps", 2, diffusion::kMaxDiffusionSteps);
    const int64_t count = integerArgument(info[1], "timesteps: steps", 1, diffusion::kMaxDiffusionSteps);
    if (!info[2].IsString() || !info[3].IsString()) throwTypeError(env, "timesteps: spacing and sampler are names");
    diffusion::SamplerOptions options;
    options.steps = count;
    options.spacing = diffusion::spacingNamed(info[2].As<Napi::String>().Utf8Value());
    options.kind = diffusion::samplerNamed(info[3].As<Napi::String>().Utf8Value());
    const std::vector<diffusion::ReverseStep> steps = diffusion::samplerSteps(total - 1, options);
    Napi::Array timesteps = Napi::Array::New(env, steps.size()), previous = Napi::Array::New(env, steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
      timesteps.Set(static_cast<uint32_t>(i), static_cast<double>(steps[i].t));
      previous.Set(static_cast<uint32_t>(i), static_cast<double>(steps[i].tPrev));
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("timesteps", timesteps);
    out.Set("previous", previous);
    return out;
  });
}

Napi::Value diffusionTimestepTensor(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const int64_t t = integerArgument(info[0], "timestep: t", 0, diffusion::kMaxDiffusionSteps - 1);
    const at::Tensor x = TensorWrap::unwrap(info[1], "timestep: x");
    if (x.dim() < 1) throw std::invalid_argument("timestep: x must have a batch dimension");
    at::Tensor out;
    runOnComputeThread(
        [&] { out = at::full({x.size(0)}, t, at::TensorOptions().dtype(at::kLong).device(x.device())); });
    return TensorWrap::wrap(env, out);
  });
}

Napi::Value diffusionStep(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const at::Tensor output = TensorWrap::unwrap(info[0], "step: prediction");
    const int64_t t = integerArgument(info[1], "step: t", 0, diffusion::kMaxDiffusionSteps - 1);
    const int64_t tPrev = integerArgument(info[2], "step: t_prev", -1, diffusion::kMaxDiffusionSteps - 1);
    const at::Tensor x = TensorWrap::unwrap(info[3], "step: x");
    at::Tensor noise = info[4].IsUndefined() ? at::Tensor() : TensorWrap::unwrap(info[4], "step: noise");
    std::optional<at::Generator> generator;
    if (!info[5].IsUndefined()) generator = GeneratorWrap::unwrap(info[5], "step: generator");
    const DiffusionSetup setup = readDiffusion(OptionReader(info[6], "step"));
    diffusion::StepHistory history;
    if (!info[7].IsUndefined()) {
      const OptionReader before(info[7], "step: history");
      history.t = before.integer("t", 0, diffusion::kMaxDiffusionSteps - 1);
      history.x0 = before.tensor("x0");
      before.finish();
    }
    diffusion::StepResult result;
    runOnComputeThread([&] {
      at::NoGradGuard noGrad;
      if (!noise.defined() && generator && diffusion::stepNeedsNoise(setup.schedule, setup.sampler, t, tPrev)) {
        noise = diffusion::drawNoise(*generator, x);
      }
      result = diffusion::step(setup.schedule, setup.sampler, output, t, tPrev, x, noise, history);
    });
    Napi::Object out = Napi::Object::New(env);
    out.Set("prev", TensorWrap::wrap(env, result.prev));
    out.Set("x0", TensorWrap::wrap(env, result.x0));
    // A handle of its own for the caller's next step, apart from the x0 it hands the user.
    if (diffusion::chainsSteps(setup.sampler)) out.Set("history", TensorWrap::wrap(env, result.x0));
    return out;
  });
}

}  // namespace missingu
