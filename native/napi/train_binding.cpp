#include "napi/train_binding.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <c10/util/StringUtil.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include "diffusion/schedule.h"
#include "napi/async_job.h"
#include "napi/dataset_argument.h"
#include "napi/errors.h"
#include "napi/job_control.h"
#include "napi/model_binding.h"
#include "napi/model_options.h"
#include "napi/options.h"
#include "napi/tensor.h"
#include "runtime/device.h"
#include "runtime/generator_state.h"
#include "train/data_parallel.h"
#include "train/run_models.h"
#include "train/trainer.h"

namespace missingu {
namespace {

// options.train, options.data and options.diffusion: a training config's sections, every key given (the schema in
// lib/config/train-config.ts holds the defaults); train::trainDiffusion validates the values.
train::TrainOptions readTrainOptions(const OptionReader& opts) {
  train::TrainOptions o;
  const OptionReader t = opts.child("train");
  o.steps = t.integer("steps");
  o.batchSize = t.integer("batchSize");
  o.accumulate = t.integer("accumulate");
  o.lr = t.number("lr");
  const Napi::Value betas = t.value("betas");
  if (!betas.IsArray() || betas.As<Napi::Array>().Length() != 2 || !betas.As<Napi::Array>().Get(0u).IsNumber() ||
      !betas.As<Napi::Array>().Get(1u).IsNumber()) {
    throwTypeError(betas.Env(), "train: train.betas must be two numbers [beta1, beta2]");
  }
  o.betas = {betas.As<Napi::Array>().Get(0u).As<Napi::Number>().DoubleValue(),
             betas.As<Napi::Array>().Get(1u).As<Napi::Number>().DoubleValue()};
  o.weightDecay = t.number("weightDecay");
  o.warmupSteps = t.integer("warmupSteps");
  o.gradClip = t.number("gradClip");
  const OptionReader ema = t.child("ema");
  o.ema.decay = ema.number("decay");
  o.ema.every = ema.integer("every");
  ema.finish();
  o.seed = t.seed("seed");
  o.checkpointEvery = t.integer("checkpointEvery");
  o.checkpointSeconds = t.number("checkpointSeconds");
  o.precision = precisionNamed(t.string("precision"), "train.precision");
  o.lossScale = t.number("lossScale");
  t.finish();

  const OptionReader data = opts.child("data");
  o.horizontalFlip = data.boolean("horizontalFlip");
  data.finish();

  const OptionReader d = opts.child("diffusion");
  o.diffusion.schedule = d.string("schedule");
  o.diffusion.diffusionSteps = d.integer("diffusionSteps", 2, diffusion::kMaxDiffusionSteps);
  o.diffusion.objective = diffusion::objectiveNamed(d.string("objective"));
  o.diffusion.snrWeighting = d.boolean("snrWeighting");
  o.diffusion.minSnrGamma = d.number("minSnrGamma");
  d.finish();
  return o;
}

// options.distributed: { rank, worldSize, masterAddr, masterPort, timeoutMs, agentStore, storePrefix,
// bucketBytes? } (lib/distributed.ts's nativeDistributed), or absent for one process.
std::optional<train::ProcessGroupOptions> distributedArgument(const OptionReader& opts) {
  const Napi::Value value = opts.value("distributed");
  if (value.IsUndefined() || value.IsNull()) return std::nullopt;
  const OptionReader d = opts.child("distributed");
  train::ProcessGroupOptions out;
  out.rank = d.integer("rank");
  out.worldSize = d.integer("worldSize");
  out.masterAddr = d.string("masterAddr");
  out.masterPort = d.integer("masterPort");
  out.timeout = std::chrono::milliseconds(d.integer("timeoutMs"));
  out.bucketBytes = d.optionalInteger("bucketBytes").value_or(out.bucketBytes);
  out.agentStore = d.boolean("agentStore");
  out.storePrefix = d.string("storePrefix");
  d.finish();
  train::validate(out);
  if (!train::distributedAvailable()) {
    throw std::runtime_error(
        "train: this build has no distributed support (it was compiled without the Gloo headers); rebuild it "
        "where scripts/gloo.js can fetch them (npm rebuild missing-u) to train with several processes");
  }
  return out;
}

std::vector<std::pair<std::string, at::Tensor>> namedTensors(const Napi::Value& value, const std::string& what) {
  if (!value.IsObject()) throwTypeError(value.Env(), what + " must be an object of Tensors by parameter name");
  const Napi::Object object = value.As<Napi::Object>();
  const Napi::Array names = object.GetPropertyNames();
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    out.emplace_back(name, TensorWrap::unwrap(object.Get(name), what + "['" + name + "']"));
  }
  return out;
}

Napi::Object namedTensorsObject(Napi::Env env, const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  Napi::Object out = Napi::Object::New(env);
  for (const auto& [name, tensor] : tensors) out.Set(name, TensorWrap::wrap(env, tensor));
  return out;
}

struct Resume {
  train::ResumedWeights weights;
  train::TrainerState state;
};

train::SpecifiedModel specifiedModel(const Napi::Value& value, const std::string& what) {
  const ModelWrap::Spec spec = ModelWrap::unwrap(value, what);
  return {spec.spec, spec.model};
}

std::optional<Resume> resumeArgument(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return std::nullopt;
  const OptionReader opts(value, "train resume");
  Resume out;
  out.weights.model = specifiedModel(opts.value("model"), "resume.model");
  out.weights.ema = specifiedModel(opts.value("ema"), "resume.ema");
  const OptionReader state = opts.child("state");
  if (!state.value("step").IsNumber() || state.value("step").As<Napi::Number>().DoubleValue() < 0) {
    throwTypeError(value.Env(), "resume.state.step must be the number of steps done (>= 0)");
  }
  out.state.step = state.integer("step", 0, kMaxSafeInteger);
  out.state.expAvg = namedTensors(state.value("expAvg"), "resume.state.expAvg");
  out.state.expAvgSq = namedTensors(state.value("expAvgSq"), "resume.state.expAvgSq");
  const Napi::Value generator = state.value("generator");
  if (!generator.IsTypedArray() || generator.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throwTypeError(value.Env(), "resume.state.generator must be the Uint8Array a run returned as state.generator");
  }
  auto bytes = generator.As<Napi::Uint8Array>();
  // Empty for an imported run (import-official), whose draws start from the seed.
  out.state.generator = bytes.ElementLength() == 0
                            ? at::empty({0}, at::TensorOptions().dtype(at::kByte))
                            : cpuGeneratorState(bytes.Data(), bytes.ElementLength(), "resume.state.generator");
  state.finish();
  opts.finish();
  return out;
}

// Frees the snapshot slot when the JS callback returns or throws.
struct SnapshotSlot {
  std::shared_ptr<std::atomic<bool>> saving;
  ~SnapshotSlot() { saving->store(false); }
};

// { name: { shape, data: Float32Array } }: plain copies, so that saving them never waits for the
// compute thread, which the run occupies. The tensors are contiguous float32 CPU copies.
Napi::Object storedTensorsObject(Napi::Env env, const train::NamedTensors& tensors) {
  Napi::Object out = Napi::Object::New(env);
  for (const auto& [name, tensor] : tensors) {
    Napi::Array shape = Napi::Array::New(env, tensor.dim());
    for (int64_t d = 0; d < tensor.dim(); ++d) shape.Set(static_cast<uint32_t>(d), static_cast<double>(tensor.size(d)));
    Napi::Float32Array data = Napi::Float32Array::New(env, static_cast<size_t>(tensor.numel()));
    std::memcpy(data.Data(), tensor.data_ptr(), tensor.nbytes());
    Napi::Object stored = Napi::Object::New(env);
    stored.Set("shape", shape);
    stored.Set("data", data);
    out.Set(name, stored);
  }
  return out;
}

Napi::Uint8Array generatorBytes(Napi::Env env, const at::Tensor& generator) {
  Napi::Uint8Array bytes = Napi::Uint8Array::New(env, static_cast<size_t>(generator.numel()));
  std::memcpy(bytes.Data(), generator.data_ptr(), static_cast<size_t>(generator.numel()));
  return bytes;
}

// A snapshot for a periodic checkpoint, as the progress callback receives it: { checkpoint: {...} }.
Napi::Object snapshotReport(Napi::Env env, const train::TrainSnapshot& snapshot) {
  Napi::Object state = Napi::Object::New(env);
  state.Set("step", static_cast<double>(snapshot.state.step));
  state.Set("expAvg", storedTensorsObject(env, snapshot.state.expAvg));
  state.Set("expAvgSq", storedTensorsObject(env, snapshot.state.expAvgSq));
  state.Set("generator", generatorBytes(env, snapshot.state.generator));
  Napi::Object checkpoint = Napi::Object::New(env);
  checkpoint.Set("model", storedTensorsObject(env, snapshot.model));
  checkpoint.Set("ema", storedTensorsObject(env, snapshot.ema));
  checkpoint.Set("state", state);
  Napi::Object out = Napi::Object::New(env);
  out.Set("checkpoint", checkpoint);
  return out;
}

Napi::Object stateObject(Napi::Env env, const train::TrainerState& state) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("step", static_cast<double>(state.step));
  out.Set("expAvg", namedTensorsObject(env, state.expAvg));
  out.Set("expAvgSq", namedTensorsObject(env, state.expAvgSq));
  out.Set("generator", generatorBytes(env, state.generator));
  return out;
}

}  // namespace

Napi::Value trainRun(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return rethrowAsJs(env, [&]() -> Napi::Value {
    const OptionReader opts(info[0], "train");
    const train::TrainOptions o = readTrainOptions(opts);
    const OptionReader modelOptions = opts.child("model");
    models::ModelSpec requested = readModelSpec(modelOptions);
    const c10::Device device = resolveDevice(modelOptions.string("device"));
    modelOptions.finish();
    const std::optional<train::ProcessGroupOptions> distributed = distributedArgument(opts);
    opts.finish();
    const std::shared_ptr<data::ImageSource> dataset = datasetArgument(info[1], info[2], "train");
    requested.channels = dataset->imageShape()[0];
    requested.imageSize = dataset->imageShape()[1];
    const std::optional<Resume> resume = resumeArgument(info[5]);

    train::RunModels built;
    runOnComputeThread([&] {
      built = train::buildRunModels(requested, device, o.seed, resume ? std::optional(resume->weights) : std::nullopt);
    });
    ModelWrap::Spec spec{built.model, built.spec, device};
    std::shared_ptr<models::DenoiserImpl> ema = built.ema;
    auto control = std::make_shared<JobControl>(env, info[3], info[4]);
    auto outcome = std::make_shared<train::TrainOutcome>();
    auto resumeState = resume ? std::make_shared<train::TrainerState>(resume->state) : nullptr;
    const int64_t total = o.steps;
    return runAsync(
        env,
        [=] {
          // Joining the group blocks until every rank is there, so it happens here, off the JS thread.
          std::unique_ptr<train::DataParallel> parallel;
          if (distributed) parallel = std::make_unique<train::DataParallel>(*distributed);
          train::TrainHooks hooks;
          hooks.onStep = [control, total](const train::StepReport& r) {
            control->report([r, total](Napi::Env e, Napi::Function fn) {
              Napi::Object p = Napi::Object::New(e);
              p.Set("step", static_cast<double>(r.step));
              p.Set("total", static_cast<double>(total));
              p.Set("loss", r.loss);
              p.Set("stepsPerSecond", r.stepsPerSecond);
              p.Set("skipped", r.skipped);
              p.Set("lossScale", r.lossScale);
              p.Set("dataWaitSeconds", r.dataWaitSeconds);
              fn.Call({p});
            });
            return !control->aborted();
          };
          // One snapshot in flight at a time: the JS callback saves it synchronously, then frees the slot.
          auto saving = std::make_shared<std::atomic<bool>>(false);
          hooks.readyForSnapshot = [saving] { return !saving->load(); };
          hooks.onSnapshot = [control, saving](train::TrainSnapshot&& snapshot) {
            train::makeContiguousFloat(snapshot);  // on the training thread
            auto held = std::make_shared<train::TrainSnapshot>(std::move(snapshot));
            saving->store(true);
            control->report([held, saving](Napi::Env e, Napi::Function fn) {
              const SnapshotSlot release{saving};
              fn.Call({snapshotReport(e, *held)});
            });
          };
          *outcome = train::trainDiffusion(*spec.model, *ema, *dataset, o, resumeState.get(), hooks, parallel.get());
        },
        [spec, ema, outcome](Napi::Env e) -> Napi::Value {
          Napi::Object out = Napi::Object::New(e);
          out.Set("model", ModelWrap::wrap(e, spec));
          ModelWrap::Spec emaSpec = spec;
          emaSpec.model = ema;
          out.Set("ema", ModelWrap::wrap(e, emaSpec));
          Napi::Float64Array losses = Napi::Float64Array::New(e, outcome->losses.size());
          for (size_t i = 0; i < outcome->losses.size(); ++i) losses[i] = outcome->losses[i];
          out.Set("losses", losses);
          out.Set("aborted", outcome->aborted);
          out.Set("skippedSteps", static_cast<double>(outcome->skippedSteps));
          out.Set("dataWaitSeconds", outcome->dataWaitSeconds);
          out.Set("state", stateObject(e, outcome->state));
          return out;
        },
        "", control);
  });
}

}  // namespace missingu
