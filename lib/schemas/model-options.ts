import { z } from 'zod';

import type { Device } from '../device';
import { MODEL_PRESETS, type ModelPreset } from './model-presets';
import { ACTIVATIONS, COUPLINGS, NORMS, OBJECTIVES, ODE_METHODS, SCHEDULES } from './names';
import { PrecisionSchema } from './precision';

export { MODEL_PRESETS, type ModelPreset } from './model-presets';

const device = z.custom<Device>((value) => typeof value === 'string', { message: "must be a device such as 'cpu'" });

/** How each ODE block integrates over s in [0, 1]; a field left out keeps the preset's (one 3/8-rule RK4 step). */
const OdeBlockSchema = z
  .object({
    /** 'euler' | 'midpoint' | 'rk4' | 'rk4-3/8' | 'dopri5'. */
    method: z.enum(ODE_METHODS).optional(),
    /** Fixed-step methods: steps per block. */
    steps: z.number().int().min(1).max(1000).optional(),
    /** Train through the adjoint method (memory does not grow with the steps). */
    adjoint: z.boolean().optional(),
    /** dopri5's tolerances. */
    rtol: z.number().nonnegative().optional(),
    atol: z.number().nonnegative().optional(),
  })
  .strict();

/**
 * A network as a training config's `model` section describes it. norm, activation, coupling and ode
 * apply to the cU-Net presets; left out, each keeps the preset's choice.
 */
export const ModelSectionSchema = z
  .object({
    preset: z.enum(MODEL_PRESETS),
    device: device.default('cpu'),
    /**
     * The base channel count: nf of a cU-Net (16 in cunet-paper), dim of a lucidrains U-Net (64 in
     * unet-paper), ch of unet-ddpm (128); absent: the preset's. Smaller widths make the same architecture
     * smaller (as the official classes' num_filters / dim do).
     */
    width: z.number().int().min(1).max(1024).optional(),
    /** Normalisation in the ODE functions: 'instance' (the official code) or 'group' (the paper's text). */
    norm: z.enum(NORMS).optional(),
    /** Every activation of the network: 'softplus' (the official code), 'relu' (the paper's text) or 'silu'. */
    activation: z.enum(ACTIVATIONS).optional(),
    /** 'second-order' (dh/ds = v, the paper's equations) or 'augmented-first-order' (the official code's). */
    coupling: z.enum(COUPLINGS).optional(),
    ode: OdeBlockSchema.optional(),
    /**
     * The lucidrains U-Nets (unet-paper, unet-mnist): run on NHWC activations and weights outside the
     * attention blocks. Absent: the preset's, as measured fastest on a CPU (docs/performance.md): on for
     * unet-paper (64 px), off for unet-mnist (28 px). Other presets refuse it.
     */
    channelsLast: z.boolean().optional(),
  })
  .strict();

/** models.create's options: a model section and the images it takes. */
export const ModelCreateSchema = ModelSectionSchema.extend({
  // Checked by native code, whose message names the known presets.
  preset: z.custom<ModelPreset>((value) => typeof value === 'string', { message: 'must be a preset name' }),
  /** Image side; defaults to the preset's (64 for the paper models, 32 for unet-ddpm, 28 for MNIST). */
  imageSize: z.number().optional(),
  /** Image channels; defaults to the preset's. */
  channels: z.number().optional(),
  /** Seeds the weight initialisation (PyTorch's generator). */
  seed: z.number().optional(),
  /**
   * What forward (and sample, denoise and eval, unless told otherwise) runs in: 'fp32', or 'bf16' / 'fp16'
   * as PyTorch's autocast runs them (weights stay float32). bf16 needs a CPU with avx512_bf16 or AMX, or
   * CUDA; fp16 needs CUDA (or AMX-FP16).
   */
  precision: PrecisionSchema.optional(),
  /**
   * How the model is (to be) trained: sample, denoise and eval use it unless told otherwise. Unset: they
   * assume the defaults (linear, 1000, eps) unless given.
   */
  diffusion: z
    .object({
      schedule: z.enum(SCHEDULES).optional(),
      diffusionSteps: z.number().optional(),
      objective: z.enum(OBJECTIVES).optional(),
    })
    .strict()
    .optional(),
}).strict();

export type ModelSection = z.input<typeof ModelSectionSchema>;
export type ModelOptions = z.input<typeof ModelCreateSchema>;
