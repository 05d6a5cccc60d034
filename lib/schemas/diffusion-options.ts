import { z } from 'zod';

import { MissingUError } from '../errors';
import {
  OBJECTIVES,
  SCHEDULES,
  type DdpmVariance,
  type Objective,
  type Sampler,
  type Spacing,
  type Schedule,
  type TraceKind,
} from './names';
import { FlowOdeOptionsSchema } from './flow-ode-options';
import { tensorValue } from './native-values';
import { nativeName } from './parse-options';
import { PrecisionSchema } from './precision';

/** The most diffusion steps (T) a schedule takes (native/diffusion/schedule.h's kMaxDiffusionSteps). */
export const MAX_DIFFUSION_STEPS = 100000;

/**
 * How a network is trained, checked in full: a training config's diffusion section, a TorchScript
 * denoiser's settings (jit.load, its .diffusion.json, the CLI's flags). It holds the defaults: what
 * sampling assumes when neither the options nor the denoiser say.
 */
export const TrainedDiffusionSchema = z
  .object({
    /** Noise schedule: 'linear' (1e-4..0.02), 'cosine' or 'sigmoid'. */
    schedule: z.enum(SCHEDULES).default('linear'),
    /** T, the number of diffusion steps. */
    diffusionSteps: z.number().int().min(2).max(MAX_DIFFUSION_STEPS).default(1000),
    /** What the network predicts. */
    objective: z.enum(OBJECTIVES).default('eps'),
  })
  .strict();

/** Every diffusion setting, as a denoiser carries them. */
export type DiffusionSettings = z.output<typeof TrainedDiffusionSchema>;

/** TrainedDiffusionSchema's defaults: linear, 1000, eps. */
export const DEFAULT_DIFFUSION: Readonly<DiffusionSettings> = Object.freeze(TrainedDiffusionSchema.parse({}));

// Value ranges (n >= 1, seeds, diffusionSteps in [2, 100000], noiseStep < T) and the names below are
// checked once, natively, where the errors name them; these schemas give the kinds, the known keys and
// every default.

/** How the network was trained, as sample, denoise and the forward-process functions take it. */
export const DiffusionSchema = z
  .object({
    /** Noise schedule (default 'linear', 1e-4..0.02). */
    schedule: nativeName<Schedule>().default(DEFAULT_DIFFUSION.schedule),
    /** T, the number of diffusion steps (default 1000). */
    diffusionSteps: z.number().default(DEFAULT_DIFFUSION.diffusionSteps),
    /** What the network predicts (default 'eps'). */
    objective: nativeName<Objective>().default(DEFAULT_DIFFUSION.objective),
  })
  .strict();

/**
 * How the network was trained; must match between training and sampling. A denoiser that knows
 * (`denoiser.diffusion`: models from train() and loadCheckpoint, TorchScript files with flags or a
 * .diffusion.json beside them) supplies what the options leave out.
 */
export type DiffusionOptions = z.input<typeof DiffusionSchema>;

/**
 * How each reverse step updates x_t, beside the diffusion settings. sampler, steps and eta left out
 * come from the denoiser's checkpoint, else DDIM, 50 steps, eta 0 (resolveReverse, docs/guide.md
 * "The reverse process").
 */
const stepShape = {
  /** 'ddim', 'ddpm' (ancestral), 'dpmpp-2m' or 'ode' (SAMPLERS). Left out: the checkpoint's, else 'ddim'. */
  sampler: nativeName<Sampler>().optional(),
  /**
   * Reverse steps; fewer than T respaces the schedule (improved-diffusion's rule). Left out: the
   * checkpoint's, else 50; at most T (for denoise, noiseStep + 1).
   */
  steps: z.number().optional(),
  /**
   * Which of the T steps a respaced process visits: 'improved', 'official', 'leading', 'trailing' or
   * 'linspace' (SPACINGS). Left out: the checkpoint's, else 'improved'.
   */
  spacing: nativeName<Spacing>().optional(),
  /** DDIM noise: 0 is deterministic. Left out: the checkpoint's, else 0. */
  eta: z.number().optional(),
  /** DDPM variance: 'fixedlarge' (beta_t, default) or 'fixedsmall' (the posterior's). */
  variance: nativeName<DdpmVariance>().default('fixedlarge'),
  /** Clip the predicted x_0 to [-1, 1] (default true). */
  clip: z.boolean().default(true),
};

/** How each reverse step updates x_t (shared by `sample`, `denoise` and the step-wise Scheduler). */
export const StepSettingsSchema = DiffusionSchema.extend(stepShape).strict();

export type StepSettings = z.input<typeof StepSettingsSchema>;

/** The step-wise Scheduler's options. */
export const SchedulerSchema = StepSettingsSchema.extend({
  /** Seeds the scheduler's generator as `sample`'s seed does: its first draw is x_T (left out: 0). */
  seed: z.number().optional(),
}).strict();

const reverse = {
  // Left out: the denoiser's own settings (how it was trained), else DiffusionSchema's defaults.
  schedule: DiffusionSchema.shape.schedule.removeDefault().optional(),
  diffusionSteps: DiffusionSchema.shape.diffusionSteps.removeDefault().optional(),
  objective: DiffusionSchema.shape.objective.removeDefault().optional(),
  ...stepShape,
  /**
   * The 'ode' sampler's solver: { method, rtol, atol, steps, epsilon, maxSteps }. Each setting left out:
   * the checkpoint's, else dopri5 with rtol = atol = 1e-3 down to epsilon = 1e-3.
   */
  ode: FlowOdeOptionsSchema.optional(),
  /**
   * What the denoiser runs in: 'fp32', 'bf16' or 'fp16' (autocast; the sampler's arithmetic stays float32).
   * Absent: the Model's own precision (models.create's), fp32 for a TorchScript denoiser.
   */
  precision: PrecisionSchema.optional(),
};

/** sample's options (but signal and onProgress). */
export const SampleSchema = z
  .object({
    ...reverse,
    /** Number of images. */
    n: z.number(),
    /**
     * Seeds x_T exactly as torch.manual_seed(seed); torch.randn([n, ...shape]) does in Python. Left
     * out: the checkpoint's, else 0.
     */
    seed: z.number().optional(),
    /** [C, H, W]; required for a TorchScript denoiser, taken from a built-in model otherwise. */
    shape: z.tuple([z.number(), z.number(), z.number()]).optional(),
    /**
     * Images per native call (default: as many as fit about 512 MB by the denoiser's measured memory per
     * image). DDPM's images (and DDIM's with eta > 0) depend on it; one batch is exactly the unbatched sample.
     */
    batchSize: z.number().optional(),
    /** Start from this x_T (n, C, H, W) instead of drawing it from the seed. */
    xT: tensorValue.optional(),
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
    /** Seeds the noise (the generator's first draw) and the reverse process's draws. Left out: the checkpoint's, else 0. */
    seed: z.number().optional(),
    /** Keep x_t and the predicted x0 after every step ('images') or only their metrics ('metrics', default). */
    trace: nativeName<TraceKind>().default('metrics'),
  })
  .strict();

/** How training weights the loss at each step, beside the diffusion settings. */
export const lossWeighting = {
  /** Weight the loss by SNR as lucidrains does (eps: 1, x0: snr, v: snr / (snr + 1)); default false (all 1). */
  snrWeighting: z.boolean().default(false),
  /** Min-SNR (Hang et al. 2023): SNR clipped at this value when > 0 (default 0, off). */
  minSnrGamma: z.number().nonnegative().default(0),
};

/** lossWeights's options. */
export const LossWeightSchema = DiffusionSchema.extend(lossWeighting).strict();

/** What sampling needs of a training config's diffusion section (which also holds the loss weighting). */
export function samplingDiffusion(trained: DiffusionOptions): DiffusionOptions {
  const { schedule, diffusionSteps, objective } = trained;
  return { schedule, diffusionSteps, objective };
}

/** What each setting allows, as the messages of parseDiffusionSettings say it. */
const ALLOWED: Record<keyof DiffusionSettings, string> = {
  schedule: SCHEDULES.join(', '),
  objective: OBJECTIVES.join(', '),
  diffusionSteps: `an integer in [2, ${MAX_DIFFUSION_STEPS}]`,
};

/**
 * Diffusion settings read from a file or flags (`source` names where), checked by TrainedDiffusionSchema
 * without its defaults (a setting left out stays unknown); a MissingUError names the first problem.
 */
export function parseDiffusionSettings(value: unknown, source: string): Partial<DiffusionSettings> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MissingUError(`${source} must be an object such as {"objective": "v", "schedule": "cosine"}`);
  }
  const result = TrainedDiffusionSchema.partial().safeParse(value);
  if (result.success) {
    return Object.fromEntries(Object.entries(result.data).filter(([, v]) => v !== undefined));
  }
  const [issue] = result.error.issues;
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(TrainedDiffusionSchema.shape).join(', ');
    throw new MissingUError(`${source}: unknown key '${issue.keys[0]}' (use ${known})`);
  }
  const key = issue.path[0] as keyof DiffusionSettings;
  const given = (value as Record<string, unknown>)[key];
  throw new MissingUError(`${source}: ${key} is ${JSON.stringify(given)}; use ${ALLOWED[key]}`);
}
