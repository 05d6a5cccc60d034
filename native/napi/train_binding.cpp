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
#include "models/presets.h"
#include "napi/async_job.h"
#include "napi/device.h"
#include "napi/errors.h"
#include "napi/job_control.h"
#include "napi/model_binding.h"
#include "napi/options.h"
#include "napi/tensor.h"
#include "runtime/scoped_seed.h"
#include "train/data_parallel.h"
#include "train/trainer.h"

namespace missingu {
namespace {

train::TrainOptions readTrainOptions(const OptionReader& opts) {
  train::TrainOptions o;
  o.steps = opts.integer("steps", o.steps);
  o.batchSize = opts.integer("batchSize", o.batchSize);
  o.accumulate = opts.integer("accumulate", o.accumulate);
  o.lr = opts.number("lr", o.lr);
  o.beta1 = opts.number("beta1", o.beta1);
  o.beta2 = opts.number("beta2", o.beta2);
  o.weightDecay = opts.number("weightDecay", o.weightDecay);
  o.warmupSteps = opts.integer("warmupSteps", o.warmupSteps);
  o.gradClip = opts.number("gradClip", o.gradClip);
  o.emaDecay = opts.number("emaDecay", o.emaDecay);
  o.emaEvery = opts.integer("emaEvery", o.emaEvery);
  o.schedule = opts.string("schedule", o.schedule);
  o.diffusionSteps = opts.integer("diffusionSteps", o.diffusionSteps);
  o.objective = diffusion::objectiveNamed(opts.string("objective", "eps"));
  o.snrWeighting = opts.boolean("snrWeighting", false);
  o.minSnrGamma = opts.number("minSnrGamma", 0.0);
  o.seed = static_cast<uint64_t>(opts.seed("seed", 0));
  o.checkpointEvery = opts.integer("checkpointEvery", 0);
  o.checkpointSeconds = opts.number("checkpointSeconds", 0.0);
  train::validate(o);
  diffusion::makeSchedule(o.schedule, o.diffusionSteps);  // checks the schedule name now
  return o;
}

// options.distributed: { rank, worldSize, masterAddr, masterPort, timeoutMs }, or absent for one process.
std::optional<train::ProcessGroupOptions> distributedArgument(const OptionReader& opts) {
  const Napi::Value value = opts.value("distributed");
  if (value.IsUndefined() || value.IsNull()) return std::nullopt;
  const OptionReader d(value, "train distributed");
  train::ProcessGroupOptions out;
  out.rank = d.integer("rank", out.rank);
  out.worldSize = d.integer("worldSize", out.worldSize);
  out.masterAddr = d.string("masterAddr", out.masterAddr);
  out.masterPort = d.integer("masterPort", out.masterPort);
  out.timeout = std::chrono::milliseconds(d.integer("timeoutMs", out.timeout.count()));
  out.bucketBytes = d.integer("bucketBytes", out.bucketBytes);
  out.agentStore = d.boolean("agentStore", false);
  out.storePrefix = d.string("storePrefix", "");
  train::validate(out);
  if (!train::distributedAvailable()) {
    throw std::runtime_error(
        "train: this build has no distributed support (it was compiled without the Gloo headers); rebuild it "
        "where scripts/gloo.js can fetch them (npm rebuild missing-u) to train with several processes");
  }
  return out;
}

// The dataset as a tensor that owns its memory; shape [N, C, H, W] with square images.
at::Tensor datasetArgument(const Napi::Value& value, const Napi::Value& shapeValue) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throwTypeError(value.Env(), "train: the dataset must be a Float32Array with its shape [N, C, H, W]");
  }
  auto data = value.As<Napi::Float32Array>();
  const std::vector<int64_t> shape = sizesArgument(shapeValue, "train: dataset shape", 1, 4, "[N, C, H, W]");
  if (shape[0] * shape[1] * shape[2] * shape[3] != static_cast<int64_t>(data.ElementLength())) {
    throw std::invalid_argument("train: dataset shape " + c10::str(shape) + " does not match its length " +
                                std::to_string(data.ElementLength()));
  }
  if (shape[2] != shape[3]) throw std::invalid_argument("train: images must be square, got " + c10::str(shape));
  at::Tensor out;
  runOnComputeThread([&] { out = at::from_blob(data.Data(), shape, at::TensorOptions().dtype(at::kFloat)).clone(); });
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

// The model the run resumes must be the one the options describe; its weights are copied so the
// caller's Model stays as it was.
void copyResumedWeights(models::DenoiserImpl& to, const ModelWrap::Spec& from, const ModelWrap::Spec& expected,
                        const std::string& what) {
  if (from.preset != expected.preset || from.imageSize != expected.imageSize || from.channels != expected.channels) {
    throw std::invalid_argument("train: " + what + " is a " + from.preset + " model for " +
                                std::to_string(from.channels) + "x" + std::to_string(from.imageSize) + "x" +
                                std::to_string(from.imageSize) + " images, but this run trains a " + expected.preset +
                                " model for " + std::to_string(expected.channels) + "x" +
                                std::to_string(expected.imageSize) + "x" + std::to_string(expected.imageSize));
  }
  train::copyWeights(to, *from.model);
}

struct Resume {
  ModelWrap::Spec model, ema;
  train::TrainerState state;
};

std::optional<Resume> resumeArgument(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return std::nullopt;
  const OptionReader opts(value, "train resume");
  Resume out;
  out.model = ModelWrap::unwrap(opts.value("model"), "resume.model");
  out.ema = ModelWrap::unwrap(opts.value("ema"), "resume.ema");
  const OptionReader state(opts.value("state"), "train resume.state");
  out.state.step = state.integer("step", -1);
  if (out.state.step < 0) throwTypeError(value.Env(), "resume.state.step must be the number of steps done (>= 0)");
  out.state.expAvg = namedTensors(state.value("expAvg"), "resume.state.expAvg");
  out.state.expAvgSq = namedTensors(state.value("expAvgSq"), "resume.state.expAvgSq");
  const Napi::Value generator = state.value("generator");
  if (!generator.IsTypedArray() || generator.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throwTypeError(value.Env(), "resume.state.generator must be the Uint8Array a run returned as state.generator");
  }
  auto bytes = generator.As<Napi::Uint8Array>();
  out.state.generator = at::empty({static_cast<int64_t>(bytes.ElementLength())}, at::TensorOptions().dtype(at::kByte));
  std::memcpy(out.state.generator.data_ptr(), bytes.Data(), bytes.ElementLength());
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

// Makes every tensor of a snapshot a contiguous float32 CPU tensor (on the training thread).
void prepareForCopy(train::TrainSnapshot& snapshot) {
  for (auto* group : {&snapshot.model, &snapshot.ema, &snapshot.state.expAvg, &snapshot.state.expAvgSq}) {
    for (auto& entry : *group) entry.second = entry.second.to(at::kFloat).contiguous();
  }
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
    const at::Tensor dataset = datasetArgument(info[1], info[2]);
    const std::optional<Resume> resume = resumeArgument(info[5]);
    const std::optional<train::ProcessGroupOptions> distributed = distributedArgument(opts);

    ModelWrap::Spec spec;
    spec.preset = opts.string("preset", "");
    spec.device = resolveDevice(opts.string("device", "cpu"));
    spec.channels = dataset.size(1);
    spec.imageSize = dataset.size(2);
    std::shared_ptr<models::DenoiserImpl> ema;
    runOnComputeThread([&] {
      const ScopedSeed seeded(o.seed);
      spec.model = models::createModel(spec.preset, spec.imageSize, spec.channels);
      ema = models::createModel(spec.preset, spec.imageSize, spec.channels);
      spec.model->to(spec.device);
      ema->to(spec.device);
      ema->eval();
      if (resume) {
        copyResumedWeights(*spec.model, resume->model, spec, "resume.model");
        copyResumedWeights(*ema, resume->ema, spec, "resume.ema");
      }
    });
    auto control = std::make_shared<JobControl>(env, info[3], info[4]);
    auto outcome = std::make_shared<train::TrainOutcome>();
    auto resumeState = resume ? std::make_shared<train::TrainerState>(resume->state) : nullptr;
    const int64_t totalSteps = o.steps;
    return runAsync(
        env,
        [=] {
          // Joining the group blocks until every rank is there, so it happens here, off the JS thread.
          std::unique_ptr<train::DataParallel> parallel;
          if (distributed) parallel = std::make_unique<train::DataParallel>(*distributed);
          train::TrainHooks hooks;
          hooks.onStep = [control, totalSteps](const train::StepReport& r) {
            control->report([r, totalSteps](Napi::Env e, Napi::Function fn) {
              Napi::Object p = Napi::Object::New(e);
              p.Set("step", static_cast<double>(r.step));
              p.Set("totalSteps", static_cast<double>(totalSteps));
              p.Set("loss", r.loss);
              p.Set("stepsPerSecond", r.stepsPerSecond);
              fn.Call({p});
            });
            return !control->aborted();
          };
          // One snapshot in flight at a time: the JS callback saves it synchronously, then frees the slot.
          auto saving = std::make_shared<std::atomic<bool>>(false);
          hooks.readyForSnapshot = [saving] { return !saving->load(); };
          hooks.onSnapshot = [control, saving](train::TrainSnapshot&& snapshot) {
            prepareForCopy(snapshot);
            auto held = std::make_shared<train::TrainSnapshot>(std::move(snapshot));
            saving->store(true);
            control->report([held, saving](Napi::Env e, Napi::Function fn) {
              const SnapshotSlot release{saving};
              fn.Call({snapshotReport(e, *held)});
            });
          };
          *outcome = train::trainDiffusion(*spec.model, *ema, dataset, o, resumeState.get(), hooks, parallel.get());
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
          out.Set("stopped", outcome->stopped);
          out.Set("state", stateObject(e, outcome->state));
          return out;
        },
        "", control);
  });
}

}  // namespace missingu
