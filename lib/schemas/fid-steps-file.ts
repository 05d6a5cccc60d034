import { z } from 'zod';

import { ODE_METHODS, SAMPLERS, SPACINGS } from './names';
import { PrecisionSchema } from './precision';

const RowOdeSchema = z.object({
  method: z.enum(ODE_METHODS),
  rtol: z.number(),
  atol: z.number(),
  steps: z.number().int().positive().optional(),
  epsilon: z.number(),
  maxSteps: z.number().int().positive(),
});

/** One row of `eval fid-steps --json` (FidStepsRow), as read back from a file. */
export const FidStepsRowSchema = z.object({
  denoiser: z.string().min(1),
  checkpoint: z.string().nullable(),
  sampler: z.enum(SAMPLERS),
  steps: z.number().int().nonnegative(),
  spacing: z.enum(SPACINGS),
  nfe: z.number().nonnegative(),
  ode: RowOdeSchema.nullable(),
  precision: PrecisionSchema,
  trainingSeed: z.number().int().nullable(),
  n: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  fid: z.number(),
  secondsPerSample: z.number().nonnegative(),
  extractor: z.string().min(1),
});

/** The result `eval fid-steps --json` prints and `--report` writes as fid-steps.json: its rows are read. */
export const FidStepsFileSchema = z.object({ rows: z.array(FidStepsRowSchema).min(1) });

/** `eval efficiency --json`, as fid-spread reads it: each denoiser's milliseconds per step per image. */
export const EfficiencyFileSchema = z.object({
  rows: z.array(z.object({ name: z.string().min(1), msPerStep: z.number().positive() })).min(1),
});
