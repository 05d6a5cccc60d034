import type { z } from 'zod';

import { native, type NativeOdeRequest, type NativeOdeResult } from './native';
import { SolveFirstOrderSchema, SolveSchema, VjpSchema } from './schemas/ode-options';
import { parseOptions } from './schemas/parse-options';
import type { Tensor } from './tensor';

export type { OdeMethod } from './schemas/ode-options';

export interface OdeStats {
  /** Evaluations of f. */
  nfe: number;
  accepted: number;
  rejected: number;
}

/** ode.solve's options (SolveSchema: the defaults; unknown options are errors that name them). */
export type SolveOptions = z.input<typeof SolveSchema>;
export type SolveFirstOrderOptions = z.input<typeof SolveFirstOrderSchema>;
export type VjpOptions = z.input<typeof VjpSchema>;

export interface SecondOrderSolution {
  x: Tensor;
  v: Tensor;
  stats: OdeStats;
}

export interface FirstOrderSolution {
  z: Tensor;
  stats: OdeStats;
}

export interface VjpResult extends SecondOrderSolution {
  /** Work of the backward (adjoint) solve; absent for 'direct'. */
  backwardStats?: OdeStats;
  grads: { x0: Tensor; v0: Tensor; parameters: Record<string, Tensor> };
}

async function run(request: NativeOdeRequest): Promise<NativeOdeResult> {
  return native.odeSolve(request);
}

export const ode = {
  /**
   * Integrates the second-order system d2h/ds2 = f(h, dh/ds, s) from (x0, v0) at s0 to s1, as the
   * first-order system dh/ds = v, dv/ds = f(h, v, s). Runs on a native thread.
   */
  async solve(opts: SolveOptions): Promise<SecondOrderSolution> {
    const { x0, v0, ...rest } = parseOptions(SolveSchema, opts, 'ode.solve');
    const out = await run({ ...rest, order: 'second', state: [x0, v0], gradient: 'none' });
    return { x: out.state[0] as Tensor, v: out.state[1] as Tensor, stats: out.stats };
  },

  /** Integrates dz/ds = f(z, s) from z0 at s0 to s1 (the official cU-Net's form). */
  async solveFirstOrder(opts: SolveFirstOrderOptions): Promise<FirstOrderSolution> {
    const { z0, ...rest } = parseOptions(SolveFirstOrderSchema, opts, 'ode.solveFirstOrder');
    const out = await run({ ...rest, order: 'first', state: [z0], gradient: 'none' });
    return { z: out.state[0] as Tensor, stats: out.stats };
  },

  /**
   * Solves like solve() and returns the vector-Jacobian product: the gradients of
   * <gx, x(s1)> + <gv, v(s1)> with respect to x0, v0 and every parameter of f.
   */
  async vjp(opts: VjpOptions): Promise<VjpResult> {
    const { x0, v0, gx, gv, ...rest } = parseOptions(VjpSchema, opts, 'ode.vjp');
    const out = await run({ ...rest, order: 'second', state: [x0, v0], outputGrads: [gx, gv], cudaGraph: false });
    const grads = out.grads as NonNullable<NativeOdeResult['grads']>;
    return {
      x: out.state[0] as Tensor,
      v: out.state[1] as Tensor,
      stats: out.stats,
      backwardStats: out.backwardStats,
      grads: {
        x0: grads.state[0] as Tensor,
        v0: grads.state[1] as Tensor,
        parameters: grads.parameters as Record<string, Tensor>,
      },
    };
  },
};
