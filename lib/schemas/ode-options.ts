import { z } from 'zod';

import type { ScriptModule } from '../jit';
import type { OdeMethod } from './names';
import { isScriptModule, tensorValue as tensor } from './native-values';
import { nativeName } from './parse-options';
import { PrecisionSchema } from './precision';

const scriptModule = z.custom<ScriptModule>(isScriptModule, { message: 'must be a ScriptModule (jit.load)' });

export type { OdeMethod } from './names';

/** What every solve takes; native code checks the values (steps for fixed-step methods, tolerances). */
const common = {
  /** Start and end of the integration interval; default [0, 1]. s1 < s0 integrates backwards. */
  s0: z.number().default(0),
  s1: z.number().default(1),
  method: nativeName<OdeMethod>(),
  /** Fixed-step methods: number of equal steps (required, >= 1). */
  steps: z.number().optional(),
  /** dopri5: relative and absolute tolerance (default 1e-7 and 1e-9). */
  rtol: z.number().default(1e-7),
  atol: z.number().default(1e-9),
  /** dopri5: accepted + rejected steps before it gives up with an error (default 10,000). */
  maxSteps: z.number().default(10000),
  /** What f runs in: 'fp32', or 'bf16' / 'fp16' as torch.autocast runs them (the state stays float32). */
  precision: PrecisionSchema.default('fp32'),
};

/**
 * CUDA build, state on CUDA, fixed-step method, f taking s as a Tensor: capture one step in a CUDA
 * graph and replay it for every step. A CPU-only build throws. Not yet tested on a GPU.
 */
const cudaGraph = z.boolean().default(false);

/** ode.solve: d2h/ds2 = f(h, dh/ds, s) from (x0, v0). */
export const SolveSchema = z
  .object({
    ...common,
    /** TorchScript module with forward(h, v, s) returning the acceleration d2h/ds2. */
    f: scriptModule,
    x0: tensor,
    v0: tensor,
    cudaGraph,
  })
  .strict();

/** ode.solveFirstOrder: dz/ds = f(z, s) from z0. */
export const SolveFirstOrderSchema = z
  .object({
    ...common,
    /** TorchScript module with forward(z, s) returning dz/ds. */
    f: scriptModule,
    z0: tensor,
    cudaGraph,
  })
  .strict();

/** ode.vjp: solve() and the gradients of <gx, x(s1)> + <gv, v(s1)>. */
export const VjpSchema = z
  .object({
    ...common,
    f: scriptModule,
    x0: tensor,
    v0: tensor,
    /** 'direct' backpropagates through every solver step; 'adjoint' solves the adjoint ODE backwards. */
    gradient: z.enum(['direct', 'adjoint']),
    /** Gradients of a loss with respect to x(s1) and v(s1); a missing one counts as zero. */
    gx: tensor.optional(),
    gv: tensor.optional(),
  })
  .strict();
