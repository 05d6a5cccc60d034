import { z } from 'zod';

import { ODE_METHODS, type OdeMethod } from './names';
import { nativeName } from './parse-options';

/**
 * The 'ode' sampler's solver as sample and denoise take it (reverse-defaults' FlowOdeSettings); each
 * setting left out comes from the checkpoint's `sample.ode`, else DEFAULT_FLOW_ODE. Native code checks
 * the values and names the option.
 */
export const FlowOdeOptionsSchema = z
  .object({
    /** 'dopri5' (default) or a fixed-step method with `steps` (ODE_METHODS). */
    method: nativeName<OdeMethod>().optional(),
    /** dopri5's relative tolerance (default 1e-3). */
    rtol: z.number().optional(),
    /** dopri5's absolute tolerance (default 1e-3). */
    atol: z.number().optional(),
    /** A fixed-step method's steps (required with one). */
    steps: z.number().optional(),
    /** The time the integration stops at, in (0, 1) (default 1e-3: step 0 of T = 1000). */
    epsilon: z.number().optional(),
    /** dopri5: accepted and rejected steps before it gives up (default 10,000). */
    maxSteps: z.number().optional(),
  })
  .strict();

// train-options.ts imports this file (through diffusion-options.ts): its positiveInt cannot come from there.
const positiveInt = z.number().int().positive().safe();

/** A training config's `sample.ode`: the same settings, checked when the config is read. */
export const FlowOdeSectionSchema = z
  .object({
    method: z.enum(ODE_METHODS).optional(),
    rtol: z.number().positive().optional(),
    atol: z.number().positive().optional(),
    steps: positiveInt.optional(),
    epsilon: z.number().positive().lt(1).optional(),
    maxSteps: positiveInt.optional(),
  })
  .strict();
