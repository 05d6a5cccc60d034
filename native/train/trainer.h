#pragma once
// A whole DDPM training run in native code: batches drawn from an ImageSource (gathered ahead of the
// step on a thread of their own), the diffusion loss, Adam with warmup, gradient clipping and
// accumulation, and an EMA copy of the weights.
#include <ATen/core/Tensor.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/image_source.h"
#include "diffusion/objective.h"
#include "models/denoiser.h"
#include "runtime/precision.h"

namespace missingu::train {

class DataParallel;  // train/data_parallel.h

// A run's options, named as a training config names them (lib/config/train-config.ts's `train` and
// `diffusion` sections, which hold their defaults): every field is set by the caller.
struct EmaOptions {
  double decay{};
  int64_t every{};  // optimizer steps between EMA updates
};

struct DiffusionTraining {
  std::string schedule;
  int64_t diffusionSteps{};
  diffusion::Objective objective{};
  bool snrWeighting{};
  double minSnrGamma{};
};

struct TrainOptions {
  int64_t steps{};
  int64_t batchSize{};
  int64_t accumulate{};  // micro-batches per optimizer step (each of batchSize)
  double lr{};
  std::array<double, 2> betas{};
  double weightDecay{};
  int64_t warmupSteps{};  // linear warm-up of the learning rate
  double gradClip{};      // max global gradient norm; 0 turns clipping off
  EmaOptions ema;
  uint64_t seed{};
  // Mirror each drawn image left-right with probability 1/2, drawn from the run's generator.
  bool horizontalFlip{};
  // Periodic snapshots for checkpoints: after every checkpointEvery-th optimizer step, and after any
  // step that ends checkpointSeconds or more after the last snapshot (0 turns either off).
  int64_t checkpointEvery{};
  double checkpointSeconds{};
  // The forward pass runs in `precision` (autocast); weights, gradients and Adam stay float32.
  Precision precision{};
  // The initial dynamic loss scale (LossScaler); 0 turns loss scaling off.
  double lossScale{};
  DiffusionTraining diffusion;
};

struct StepReport {
  int64_t step;  // 1-based optimizer steps done
  double loss;   // mean over the step's micro-batches
  double stepsPerSecond;
  bool skipped = false;        // the loss scaler found Inf/NaN gradients: no optimizer step was taken
  double lossScale = 0;        // the scale for the next step (0: no loss scaling)
  double dataWaitSeconds = 0;  // time this call's steps have waited for their batches so far
};

// false stops the run after the current step (with data parallelism: on every rank, when any says so).
using ProgressCallback = std::function<bool(const StepReport&)>;

// What a run needs beyond the weights to continue exactly where it stopped.
struct TrainerState {
  int64_t step = 0;  // optimizer steps done
  // Adam's first and second moments, by parameter name (as named_parameters() names them).
  std::vector<std::pair<std::string, at::Tensor>> expAvg, expAvgSq;
  at::Tensor generator;  // the CPU generator's state (uint8) that draws batches, steps and noise
};

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// A copy (on the CPU) of everything a checkpoint holds, taken between two steps.
struct TrainSnapshot {
  NamedTensors model, ema;  // parameters then buffers, by their registered names
  TrainerState state;
};

// Makes every tensor of a snapshot contiguous float32, so that it copies out byte for byte as float32
// values (to JS, to a checkpoint file).
void makeContiguousFloat(TrainSnapshot& snapshot);

// Called on the training thread with a snapshot the callee now owns; training resumes when it returns.
using SnapshotCallback = std::function<void(TrainSnapshot&&)>;

struct TrainHooks {
  ProgressCallback onStep;
  SnapshotCallback onSnapshot;  // only called when the options ask for snapshots
  // false while the last snapshot is still being saved: a due snapshot then waits for a later step,
  // so snapshots never queue up behind a slow disk.
  std::function<bool()> readyForSnapshot;
};

struct TrainOutcome {
  std::vector<double> losses;  // one per optimizer step of this call
  bool aborted = false;        // onStep asked to stop before options.steps
  int64_t skippedSteps = 0;    // steps the loss scaler skipped
  double dataWaitSeconds = 0;  // time the steps waited for their batches
  TrainerState state;
};

// Copies parameters and buffers from a model of the same architecture (across devices too).
void copyWeights(models::DenoiserImpl& to, models::DenoiserImpl& from);

// Parameters then buffers, by their registered names, copied to the CPU.
NamedTensors weightsOnCpu(const models::DenoiserImpl& model);

// Validates options (std::invalid_argument naming the field). Trains `model` in place and keeps
// `ema` (same architecture) as its exponential moving average. Throws std::runtime_error naming
// the step when the loss becomes NaN or infinite. Batches come from `data` (images in [-1, 1]).
// With `resume` (and model/ema holding that run's weights) it continues from resume->step up to
// options.steps in total, drawing exactly what the uninterrupted run would have drawn.
// With `parallel` (W ranks), options.batchSize is per rank: every rank draws the same global batch of
// W x batchSize (data rows, diffusion steps and noise, from identically seeded generators) and trains
// on rows [rank x batchSize, (rank + 1) x batchSize) of it, so the run matches one process training
// with batchSize W x batchSize up to float rounding. Gradients are averaged before clipping; the
// losses are the mean over the ranks. The weights start from rank 0's.
// hooks.onSnapshot receives a TrainSnapshot as options.checkpointEvery / checkpointSeconds ask, never
// after the last step (the outcome holds that one); training pauses for one copy of the weights.
TrainOutcome trainDiffusion(models::DenoiserImpl& model, models::DenoiserImpl& ema, const data::ImageSource& data,
                            const TrainOptions& options, const TrainerState* resume, const TrainHooks& hooks,
                            DataParallel* parallel = nullptr);

void validate(const TrainOptions& options);

}  // namespace missingu::train
