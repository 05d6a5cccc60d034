#include "train/trainer.h"

#include "runtime/error_code.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/randint.h>
#include <ATen/ops/randn.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "data/batch_draw.h"
#include "data/batch_prefetcher.h"
#include "diffusion/schedule.h"
#include "runtime/scoped_seed.h"
#include "train/data_parallel.h"
#include "train/loss_scaler.h"

namespace missingu::train {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// ema <- decay * ema + (1 - decay) * model, for parameters and buffers alike.
void updateEma(models::DenoiserImpl& ema, models::DenoiserImpl& model, double decay) {
  at::NoGradGuard noGrad;
  const auto target = ema.parameters();
  const auto source = model.parameters();
  for (size_t i = 0; i < target.size(); ++i) target[i].mul_(decay).add_(source[i], 1.0 - decay);
  const auto targetBuffers = ema.buffers();
  const auto sourceBuffers = model.buffers();
  for (size_t i = 0; i < targetBuffers.size(); ++i) targetBuffers[i].copy_(sourceBuffers[i]);
}

const at::Tensor* findByName(const NamedTensors& tensors, const std::string& name) {
  for (const auto& [key, value] : tensors) {
    if (key == name) return &value;
  }
  return nullptr;
}

// libtorch keys Adam's per-parameter state by the parameter's TensorImpl.
void restoreAdam(torch::optim::Adam& optimizer, const NamedTensors& trainable, const TrainerState& resume) {
  for (const auto& [name, parameter] : trainable) {
    const at::Tensor* expAvg = findByName(resume.expAvg, name);
    const at::Tensor* expAvgSq = findByName(resume.expAvgSq, name);
    require(expAvg && expAvgSq, "the optimizer state has no moments for parameter '" + name +
                                    "': it was saved by another model (start a new run instead of resuming)");
    require(expAvg->sizes() == parameter.sizes() && expAvgSq->sizes() == parameter.sizes(),
            "the optimizer state of '" + name + "' has shape " + c10::str(expAvg->sizes()) + " but the parameter is " +
                c10::str(parameter.sizes()));
    auto state = std::make_unique<torch::optim::AdamParamState>();
    state->step(resume.step);
    state->exp_avg(expAvg->to(parameter.options()).clone());
    state->exp_avg_sq(expAvgSq->to(parameter.options()).clone());
    optimizer.state()[parameter.unsafeGetTensorImpl()] = std::move(state);
  }
}

// `generator`: the state the run continues from (taken before any draw made ahead for the next step).
TrainerState captureState(torch::optim::Adam& optimizer, const NamedTensors& trainable, int64_t step,
                          const at::Tensor& generator) {
  TrainerState out;
  out.step = step;
  for (const auto& [name, parameter] : trainable) {
    const auto found = optimizer.state().find(parameter.unsafeGetTensorImpl());
    if (found == optimizer.state().end()) continue;
    const auto& adam = static_cast<const torch::optim::AdamParamState&>(*found->second);
    out.expAvg.emplace_back(name, adam.exp_avg().cpu().clone());
    out.expAvgSq.emplace_back(name, adam.exp_avg_sq().cpu().clone());
  }
  out.generator = generator;
  return out;
}

void checkFinite(double loss, int64_t step) {
  if (std::isfinite(loss)) return;
  throw CodedError(ErrorCode::Numeric, "training stopped at step " + std::to_string(step) + ": the loss became " +
                                           (std::isnan(loss) ? "NaN" : "infinite") +
                                           " (check the data for NaN/Inf, or lower lr / enable gradClip)");
}

}  // namespace

void copyWeights(models::DenoiserImpl& to, models::DenoiserImpl& from) {
  at::NoGradGuard noGrad;
  const auto target = to.parameters();
  const auto source = from.parameters();
  for (size_t i = 0; i < target.size(); ++i) target[i].copy_(source[i]);
  const auto targetBuffers = to.buffers();
  const auto sourceBuffers = from.buffers();
  for (size_t i = 0; i < targetBuffers.size(); ++i) targetBuffers[i].copy_(sourceBuffers[i]);
}

NamedTensors weightsOnCpu(const models::DenoiserImpl& model) {
  NamedTensors out;
  for (const auto& item : model.named_parameters(true))
    out.emplace_back(item.key(), item.value().detach().cpu().clone());
  for (const auto& item : model.named_buffers(true)) out.emplace_back(item.key(), item.value().cpu().clone());
  return out;
}

void makeContiguousFloat(TrainSnapshot& snapshot) {
  for (auto* group : {&snapshot.model, &snapshot.ema, &snapshot.state.expAvg, &snapshot.state.expAvgSq}) {
    for (auto& entry : *group) entry.second = entry.second.to(at::kFloat).contiguous();
  }
}

void validate(const TrainOptions& o) {
  require(o.steps >= 1, "steps must be an integer >= 1");
  require(o.batchSize >= 1, "batchSize must be an integer >= 1");
  require(o.accumulate >= 1, "accumulate must be an integer >= 1");
  require(o.lr > 0 && std::isfinite(o.lr), "lr must be a positive number");
  require(o.betas[0] >= 0 && o.betas[0] < 1 && o.betas[1] >= 0 && o.betas[1] < 1, "betas must be in [0, 1)");
  require(o.weightDecay >= 0, "weightDecay must be >= 0");
  require(o.warmupSteps >= 0, "warmupSteps must be >= 0");
  require(o.gradClip >= 0, "gradClip must be >= 0 (0 turns clipping off)");
  require(o.ema.decay >= 0 && o.ema.decay < 1, "ema.decay must be in [0, 1)");
  require(o.ema.every >= 1, "ema.every must be an integer >= 1");
  require(o.diffusion.diffusionSteps >= 2, "diffusionSteps (T) must be >= 2");
  require(o.checkpointEvery >= 0, "checkpointEvery must be an integer >= 0 (0 turns periodic checkpoints off)");
  require(o.checkpointSeconds >= 0 && std::isfinite(o.checkpointSeconds),
          "checkpointSeconds must be >= 0 (0 turns the time bound off)");
  require(o.lossScale >= 0 && std::isfinite(o.lossScale), "lossScale must be >= 0 (0 turns loss scaling off)");
}

TrainOutcome trainDiffusion(models::DenoiserImpl& model, models::DenoiserImpl& ema, const data::ImageSource& data,
                            const TrainOptions& o, const TrainerState* resume, const TrainHooks& hooks,
                            DataParallel* parallel) {
  validate(o);
  const auto device = model.parameters().front().device();
  requirePrecision(o.precision, device, "train.precision");
  const int64_t firstStep = resume ? resume->step + 1 : 1;
  require(firstStep <= o.steps, "the run is already at step " + std::to_string(firstStep - 1) +
                                    ": steps counts from the start of the run, so ask for more than that");
  const diffusion::Schedule schedule = diffusion::makeSchedule(o.diffusion.schedule, o.diffusion.diffusionSteps);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  // An imported run (import-official) has no generator state: its draws start from the seed.
  if (resume && resume->generator.numel() > 0) generator.set_state(resume->generator);
  // Dropout draws from the default generator: seeded for the run only, so a seed repeats the run.
  const ScopedSeed dropoutSeed(o.seed);
  LossScaler scaler(o.lossScale);
  const auto cpuLong = at::TensorOptions().dtype(at::kLong);
  const auto cpuFloat = at::TensorOptions().dtype(at::kFloat);

  NamedTensors trainable;
  std::vector<at::Tensor> parameters;
  for (const auto& item : model.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    trainable.emplace_back(item.key(), item.value());
    parameters.push_back(item.value());
  }
  const int64_t ranks = parallel ? parallel->worldSize() : 1;
  const int64_t rank = parallel ? parallel->rank() : 0;
  const int64_t globalBatch = o.batchSize * ranks;
  if (parallel) {
    // Resumed ranks all read the same checkpoint; rank 0's copy is the one that counts either way.
    std::vector<at::Tensor> weights = model.parameters();
    for (const auto& buffer : model.buffers()) weights.push_back(buffer);
    if (resume) {
      for (const auto& tensor : ema.parameters()) weights.push_back(tensor);
      for (const auto& buffer : ema.buffers()) weights.push_back(buffer);
    }
    parallel->broadcast(weights, "the initial weights");
  }
  torch::optim::Adam optimizer(
      parameters, torch::optim::AdamOptions(o.lr).betas({o.betas[0], o.betas[1]}).weight_decay(o.weightDecay));
  if (resume) {
    restoreAdam(optimizer, trainable, *resume);
  } else {
    copyWeights(ema, model);
  }
  model.train();

  // Each micro-batch's rows (and flips) are drawn one micro-batch ahead, right after the previous one's
  // steps and noise: the same order of draws as gathering on the spot, so runs repeat and resume exactly.
  // `drawnFrom` is the generator's state before the draw ahead, which is where a resumed run starts.
  data::BatchPrefetcher prefetcher(data);
  const int64_t rankFirst = rank * o.batchSize;
  at::Tensor drawnFrom;
  const auto drawAhead = [&] {
    drawnFrom = generator.get_state();
    const data::BatchDraw draw = data::drawBatch(generator, data.count(), globalBatch, o.horizontalFlip);
    const auto mine = [&](const at::Tensor& all) {
      return all.defined() ? all.narrow(0, rankFirst, o.batchSize) : all;
    };
    prefetcher.request(mine(draw.index), mine(draw.flip));
  };
  const auto continueFrom = [&] { return drawnFrom.defined() ? drawnFrom : generator.get_state(); };
  const auto [channels, height, width] = data.imageShape();
  drawAhead();

  TrainOutcome outcome;
  int64_t step = firstStep - 1;
  const auto started = std::chrono::steady_clock::now();
  auto lastSnapshot = started;
  bool owed = false;  // a snapshot is due but the last one is still being saved
  const bool snapshots = hooks.onSnapshot && (o.checkpointEvery > 0 || o.checkpointSeconds > 0);
  while (step < o.steps) {
    ++step;
    const double lr = o.warmupSteps > 0 ? o.lr * std::min(1.0, static_cast<double>(step) / o.warmupSteps) : o.lr;
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    optimizer.zero_grad();
    double stepLoss = 0.0;
    for (int64_t micro = 0; micro < o.accumulate; ++micro) {
      // The whole (global) batch is drawn on every rank, in the order one process would draw it.
      const at::Tensor x0 = prefetcher.take().to(device);
      const at::Tensor t0 = at::randint(o.diffusion.diffusionSteps, {globalBatch}, generator, cpuLong);
      const at::Tensor noise0 = at::randn({globalBatch, channels, height, width}, generator, cpuFloat);
      drawnFrom = at::Tensor();
      if (step < o.steps || micro + 1 < o.accumulate) drawAhead();
      const at::Tensor t = t0.narrow(0, rankFirst, o.batchSize).to(device);
      const at::Tensor noise = noise0.narrow(0, rankFirst, o.batchSize).to(device);
      const at::Tensor xt = diffusion::qSample(schedule, x0, t, noise);
      const at::Tensor target = diffusion::target(o.diffusion.objective, schedule, x0, noise, t);
      at::Tensor prediction;
      {
        const PrecisionScope precision(o.precision, device.type());  // the forward only, as with torch.autocast
        prediction = model.forward(xt, t);
      }
      const at::Tensor perSample = (prediction.to(at::kFloat) - target).square().mean({1, 2, 3}, /*keepdim=*/true);
      const at::Tensor weights = diffusion::lossWeights(o.diffusion.objective, schedule, t, o.diffusion.snrWeighting,
                                                        o.diffusion.minSnrGamma, perSample);
      const at::Tensor loss = (perSample * weights).mean() / static_cast<double>(o.accumulate);
      const double value = loss.item<double>() * static_cast<double>(o.accumulate);
      // With several ranks the check waits for the mean loss, so that every rank stops alike. With loss
      // scaling a non-finite loss is an overflow like any other: its step is skipped below.
      if (!parallel && !scaler.enabled()) checkFinite(value, step);
      scaler.scaled(loss).backward();
      stepLoss += value / static_cast<double>(o.accumulate);
    }
    if (parallel) {
      parallel->averageGradients(parameters, &stepLoss, "averaging the gradients of step " + std::to_string(step));
      if (!scaler.enabled()) checkFinite(stepLoss, step);
    }
    const bool stepped = scaler.unscale(parameters, step) && std::isfinite(stepLoss);
    if (stepped) {
      if (o.gradClip > 0) torch::nn::utils::clip_grad_norm_(parameters, o.gradClip);
      optimizer.step();
    } else {
      ++outcome.skippedSteps;
    }
    if (step % o.ema.every == 0) updateEma(ema, model, o.ema.decay);
    outcome.losses.push_back(stepLoss);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double rate = static_cast<double>(step - firstStep + 1) / seconds;
    bool stop =
        hooks.onStep && !hooks.onStep({step, stepLoss, rate, !stepped, scaler.scale(), prefetcher.waitSeconds()});
    if (parallel) stop = parallel->any(stop, "agreeing whether to stop after step " + std::to_string(step));
    if (stop) {
      outcome.aborted = true;
      break;
    }
    const double sinceSnapshot = std::chrono::duration<double>(std::chrono::steady_clock::now() - lastSnapshot).count();
    owed = owed || (o.checkpointEvery > 0 && step % o.checkpointEvery == 0) ||
           (o.checkpointSeconds > 0 && sinceSnapshot >= o.checkpointSeconds);
    if (snapshots && owed && step < o.steps && (!hooks.readyForSnapshot || hooks.readyForSnapshot())) {
      hooks.onSnapshot(
          {weightsOnCpu(model), weightsOnCpu(ema), captureState(optimizer, trainable, step, continueFrom())});
      lastSnapshot = std::chrono::steady_clock::now();
      owed = false;
    }
  }
  model.eval();
  outcome.state = captureState(optimizer, trainable, step, continueFrom());
  outcome.dataWaitSeconds = prefetcher.waitSeconds();
  return outcome;
}

}  // namespace missingu::train
