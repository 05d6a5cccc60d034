import { z } from 'zod';

import { Tensor } from '../tensor';
import type { DdpmVariance, Objective, Sampler, Schedule, TraceKind } from './names';
import { nativeName } from './parse-options';
import { PrecisionSchema } from './precision';

// Value ranges (n >= 1, seeds, diffusionSteps in [2, 100000], noiseStep < T) are checked once, natively,
// where the errors name them; these schemas give the kinds, the known keys and every default.

/** How the network was trained; must match between training and sampling. */
export const DiffusionSchema = z
  .object({
    /** Noise schedule (default 'linear', 1e-4..0.02). */
    schedule: nativeName<Schedule>().default('linear'),
    /** T, the number of diffusion steps (default 1000). */
    diffusionSteps: z.number().default(1000),
    /** What the network predicts (default 'eps'). */
    objective: nativeName<Objective>().default('eps'),
  })
  .strict();

const reverse = {
  // Left out: the denoiser's own settings (how it was trained), else DiffusionSchema's defaults.
  schedule: DiffusionSchema.shape.schedule.removeDefault().optional(),
  diffusionSteps: DiffusionSchema.shape.diffusionSteps.removeDefault().optional(),
  objective: DiffusionSchema.shape.objective.removeDefault().optional(),
  /** 'ddpm' (ancestral, default) or 'ddim'. */
  sampler: nativeName<Sampler>().default('ddpm'),
  /** Reverse steps; fewer than T respaces the schedule (improved-diffusion's rule). Default: all. */
  steps: z.number().optional(),
  /** DDIM noise: 0 (default) is deterministic. */
  eta: z.number().default(0),
  /** DDPM variance: 'fixedlarge' (beta_t, default) or 'fixedsmall' (the posterior's). */
  variance: nativeName<DdpmVariance>().default('fixedlarge'),
  /** Clip the predicted x_0 to [-1, 1] (default true). */
  clip: z.boolean().default(true),
  /**
   * What the denoiser runs in: 'fp32', 'bf16' or 'fp16' (autocast; the sampler's arithmetic stays float32).
   * Absent: the Model's own precision (models.create's), fp32 for a TorchScript denoiser.
   */
  precision: PrecisionSchema.optional(),
};

const tensor = z.custom<Tensor>((value) => value instanceof Tensor, { message: 'must be a Tensor' });

/** sample's options (but signal and onProgress). */
export const SampleSchema = z
  .object({
    ...reverse,
    /** Number of images. */
    n: z.number(),
    /** Seeds x_T exactly as torch.manual_seed(seed); torch.randn([n, ...shape]) does in Python (default 0). */
    seed: z.number().default(0),
    /** [C, H, W]; required for a TorchScript denoiser, taken from a built-in model otherwise. */
    shape: z.tuple([z.number(), z.number(), z.number()]).optional(),
    /**
     * Images per native call (default: as many as fit about 512 MB by the denoiser's measured memory per
     * image). DDPM's images (and DDIM's with eta > 0) depend on it; one batch is exactly the unbatched sample.
     */
    batchSize: z.number().optional(),
    /** Start from this x_T (n, C, H, W) instead of drawing it from the seed. */
    xT: tensor.optional(),
    /**
     * CUDA build, denoiser on CUDA: capture the denoiser's forward in a CUDA graph once and replay it at
     * every step (fewer kernel launches). Opt-in; a CPU-only build throws. Not yet tested on a GPU.
     */
    cudaGraph: z.boolean().default(false),
  })
  .strict();

/** denoise's options (but signal and onProgress). */
export const DenoiseSchema = z
  .object({
    ...reverse,
    /** The step t the clean image is noised to before the reverse process runs from t to 0. */
    noiseStep: z.number(),
    /** Seeds the noise (the generator's first draw) and the reverse process's draws (default 0). */
    seed: z.number().default(0),
    /** Keep x_t and the predicted x0 after every step ('images') or only their metrics ('metrics', default). */
    trace: nativeName<TraceKind>().default('metrics'),
  })
  .strict();

export type DiffusionOptions = z.input<typeof DiffusionSchema>;

/** What sampling needs of a training config's diffusion section (which also holds the loss weighting). */
export function samplingDiffusion(trained: DiffusionOptions): DiffusionOptions {
  const { schedule, diffusionSteps, objective } = trained;
  return { schedule, diffusionSteps, objective };
}
