import { z } from 'zod';

import { FlowOdeOptionsSchema } from './flow-ode-options';
import { SAMPLERS, SPACINGS } from './names';
import { PrecisionSchema } from './precision';

/** The step counts eval.fidSteps measures when none are given. */
export const DEFAULT_FID_STEPS = [5, 10, 20, 50, 100];

/** eval.fidSteps's options (but the denoisers, real statistics, extractor, signal and onProgress). */
export const FidStepsSchema = z
  .object({
    /**
     * Reverse step counts, each respacing the schedule (default 5, 10, 20, 50, 100); measured in ascending
     * order. With the 'ode' sampler and a fixed-step method: the solver's steps.
     */
    steps: z.array(z.number().int().min(1)).min(1).default(DEFAULT_FID_STEPS),
    /**
     * 'ddim', 'ddpm' (ancestral), 'dpmpp-2m' or 'ode' (SAMPLERS). Left out: each denoiser's checkpoint's,
     * else 'ddim' (with its eta, else 0; docs/guide.md, "The reverse process").
     */
    sampler: z.enum(SAMPLERS).optional(),
    /** The 'ode' sampler's solver (each setting left out: the checkpoint's, else DEFAULT_FLOW_ODE's). */
    ode: FlowOdeOptionsSchema.optional(),
    /**
     * The 'ode' sampler with dopri5: one row per tolerance, each with rtol = atol = it (in place of `steps`).
     * Left out: one row at the solver's own rtol and atol.
     */
    tolerances: z.array(z.number().positive()).min(1).optional(),
    /** Which steps each respaced row visits (SPACINGS). Left out: each checkpoint's, else 'improved'. */
    spacing: z.enum(SPACINGS).optional(),
    /** Samples per row (default 1000); FID is biased by n, so compare rows of the same n only. */
    n: z.number().int().min(2).default(1000),
    /** Seeds x_T, the same for every row: torch.manual_seed(seed); torch.randn([n, C, H, W]) (default 0). */
    seed: z.number().int().min(0).default(0),
    /** Images per sample() call (default 500): large batches are several times cheaper per image. */
    batchSize: z.number().int().min(1).default(500),
    /** What the denoisers run in (sample's precision); absent: each denoiser's own. */
    precision: PrecisionSchema.optional(),
  })
  .strict();

export type FidStepsInput = z.input<typeof FidStepsSchema>;
export type FidStepsSettings = z.output<typeof FidStepsSchema>;
