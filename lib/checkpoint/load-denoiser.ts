import type { TrainConfigJson } from '../config/train-config';
import type { Device } from '../device';
import type { Denoiser } from '../models';
import { samplingDiffusion, type DiffusionOptions } from '../schemas/diffusion-options';
import { loadCheckpointEma } from './checkpoint';

/** A checkpoint as sample, denoise and eval use it: the EMA weights, the config and how it was trained. */
export interface CheckpointDenoiser {
  /** The EMA weights; the caller disposes it. */
  denoiser: Denoiser;
  config: TrainConfigJson;
  diffusion: DiffusionOptions;
}

/** Loads a checkpoint folder's EMA weights (what sampling uses); the raw weights are not read. */
export function loadDenoiser(dir: string, opts: { device?: Device } = {}): CheckpointDenoiser {
  const checkpoint = loadCheckpointEma(dir, opts);
  return {
    denoiser: checkpoint.ema,
    config: checkpoint.config,
    diffusion: samplingDiffusion(checkpoint.config.diffusion),
  };
}
