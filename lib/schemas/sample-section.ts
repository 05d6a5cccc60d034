import { z } from 'zod';

import { SAMPLERS } from './names';
import { positiveInt, seed } from './train-options';

/**
 * A training config's `sample` section: how the CLI and eval sample the checkpoint, and (with every
 * default) how they sample a denoiser that has no config.
 */
export const SampleSectionSchema = z
  .object({
    sampler: z.enum(SAMPLERS).default('ddim'),
    /** Reverse steps; left out: DEFAULT_SAMPLE_STEPS where the CLI samples, all T in eval efficiency. */
    steps: positiveInt.optional(),
    eta: z.number().nonnegative().default(0),
    n: positiveInt.default(64),
    seed,
  })
  .strict();

export type SampleSection = z.output<typeof SampleSectionSchema>;

/** The reverse steps `sample` and the image sources take when neither the flags nor the config say. */
export const DEFAULT_SAMPLE_STEPS = 50;
