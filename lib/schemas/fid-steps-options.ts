import { z } from 'zod';

import { SAMPLERS, SPACINGS } from './names';
import { PrecisionSchema } from './precision';

/** The step counts eval.fidSteps measures when none are given. */
export const DEFAULT_FID_STEPS = [5, 10, 20, 50, 100];

/** eval.fidSteps's options (but the denoisers, real statistics, extractor, signal and onProgress). */
export const FidStepsSchema = z
  .object({
    /** Reverse step counts, each respacing the schedule (default 5, 10, 20, 50, 100); measured in ascending order. */
    steps: z.array(z.number().int().min(1)).min(1).default(DEFAULT_FID_STEPS),
    /**
     * 'ddim' or 'ddpm' (ancestral). Left out: each denoiser's checkpoint's, else 'ddim' (with its eta,
     * else 0; docs/guide.md, "The reverse process").
     */
    sampler: z.enum(SAMPLERS).optional(),
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
