import { z } from 'zod';

import { lossWeighting, TrainedDiffusionSchema } from './diffusion-options';
import { PrecisionSchema, type Precision } from './precision';

// Safe integers only: 1e20 passes .int() but is no longer exact, and wraps when native code converts it.
export const positiveInt = z.number().int().positive().safe();
export const seed = z.number().int().nonnegative().safe().default(0);

/** A training config's `diffusion` section: how the model is trained to denoise. */
export const TrainDiffusionSchema = TrainedDiffusionSchema.extend(lossWeighting).strict();

/** A training config's `train` section: the optimizer, the EMA, the seed and periodic checkpoints. */
export const TrainSectionSchema = z
  .object({
    /** Optimizer steps of the whole run (a resumed run continues up to this many). */
    steps: positiveInt,
    /** Images per optimizer step (per micro-batch); data-parallel: per process. */
    batchSize: positiveInt,
    /** Micro-batches per optimizer step (gradient accumulation). */
    accumulate: positiveInt.default(1),
    /** Adam (the official code's): learning rate, betas, weight decay. */
    lr: z.number().positive().default(2e-4),
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.99]),
    weightDecay: z.number().nonnegative().default(0),
    /** Linear learning-rate warm-up over this many steps. */
    warmupSteps: z.number().int().nonnegative().safe().default(0),
    /** Global gradient-norm clip; 0 turns it off. */
    gradClip: z.number().nonnegative().default(1),
    /** EMA of the weights: decay, applied every `every` steps. */
    ema: z
      .object({ decay: z.number().min(0).lt(1).default(0.9999), every: positiveInt.default(10) })
      .strict()
      .default({}),
    /** Seeds initialisation, batches, steps and noise; the same seed gives the same run. */
    seed,
    /**
     * Periodic checkpoints (with train()'s onCheckpoint): a snapshot after every this many optimizer steps
     * (0: never by count) and after any step that ends checkpointSeconds (0: never by time) after the last.
     */
    checkpointEvery: z.number().int().nonnegative().safe().default(500),
    checkpointSeconds: z.number().nonnegative().default(600),
    /**
     * What the forward pass runs in: 'fp32', or 'bf16' / 'fp16' as torch.autocast runs them. The weights,
     * gradients, Adam's moments and every checkpoint stay float32.
     */
    precision: PrecisionSchema.default('fp32'),
    /**
     * The initial dynamic loss scale (as torch.amp.GradScaler: steps with Inf/NaN gradients are skipped and
     * the scale halved; it doubles after 2000 good steps). Absent: 65536 for fp16, off (0) otherwise.
     */
    lossScale: z.number().nonnegative().optional(),
  })
  .strict();

/** train.lossScale as the trainer takes it: the given one, else 65536 for fp16 and 0 (off) otherwise. */
export function lossScaleFor(section: { precision: Precision; lossScale?: number }): number {
  return section.lossScale ?? (section.precision === 'fp16' ? 65536 : 0);
}

export type TrainDiffusion = z.input<typeof TrainDiffusionSchema>;
export type TrainSection = z.input<typeof TrainSectionSchema>;
