import { z } from 'zod';

import { FlowOdeSectionSchema } from './flow-ode-options';
import { SAMPLERS, SPACINGS } from './names';
import { DEFAULT_REVERSE } from './reverse-defaults';
import { positiveInt, seed } from './train-options';

/**
 * A training config's `sample` section: how sample, denoise, eval and the CLI run the checkpoint's
 * reverse process where their options leave a setting out (docs/guide.md, "The reverse process").
 */
export const SampleSectionSchema = z
  .object({
    /** 'ddim' (default), 'ddpm', 'dpmpp-2m' or 'ode' (SAMPLERS). */
    sampler: z.enum(SAMPLERS).default(DEFAULT_REVERSE.sampler),
    /** Reverse steps; left out: 50, at most T. */
    steps: positiveInt.optional(),
    /** Which steps a respaced process visits (SPACINGS; default 'improved'). */
    spacing: z.enum(SPACINGS).default(DEFAULT_REVERSE.spacing),
    /** DDIM noise: 0 (default) is deterministic. */
    eta: z.number().nonnegative().default(DEFAULT_REVERSE.eta),
    /** The 'ode' sampler's solver; settings left out are DEFAULT_FLOW_ODE's (dopri5, rtol = atol = 1e-3). */
    ode: FlowOdeSectionSchema.optional(),
    /** Images the CLI samples (default 64). */
    n: positiveInt.default(64),
    /** Seeds x_T and the sampler's draws (default 0). */
    seed,
  })
  .strict();

export type SampleSection = z.output<typeof SampleSectionSchema>;
