import type { ScriptModule } from './jit';
import { native, type NativeOdeRequest, type NativeOdeResult } from './native';
import type { Tensor } from './tensor';

/** Explicit Runge-Kutta methods: four fixed-step ones and adaptive Dormand-Prince 5(4). */
export type OdeMethod = 'euler' | 'midpoint' | 'rk4' | 'rk4-3/8' | 'dopri5';

export interface OdeStats {
  /** Evaluations of f. */
  nfe: number;
  accepted: number;
  rejected: number;
}

interface CommonOptions {
  /** Start and end of the integration interval; default [0, 1]. s1 < s0 integrates backwards. */
  s0?: number;
  s1?: number;
  method: OdeMethod;
  /** Fixed-step methods: number of equal steps (required, >= 1). */
  steps?: number;
  /** dopri5: relative and absolute tolerance (default 1e-7 and 1e-9). */
  rtol?: number;
  atol?: number;
  /** dopri5: accepted + rejected steps before it gives up with an error (default 10,000). */
  maxSteps?: number;
}

/** Opt-in CUDA graph capture of the fixed-step loop (solve and solveFirstOrder; not vjp). */
interface GraphOption {
  /**
   * CUDA build, state on CUDA, fixed-step method, f taking s as a Tensor: capture one step in a CUDA
   * graph and replay it for every step. A CPU-only build throws. Not yet tested on a GPU.
   */
  cudaGraph?: boolean;
}

export interface SolveOptions extends CommonOptions, GraphOption {
  /** TorchScript module with forward(h, v, s) returning the acceleration d2h/ds2. */
  f: ScriptModule;
  x0: Tensor;
  v0: Tensor;
}

export interface SolveFirstOrderOptions extends CommonOptions, GraphOption {
  /** TorchScript module with forward(z, s) returning dz/ds. */
  f: ScriptModule;
  z0: Tensor;
}

export interface SecondOrderSolution {
  x: Tensor;
  v: Tensor;
  stats: OdeStats;
}

export interface FirstOrderSolution {
  z: Tensor;
  stats: OdeStats;
}

export interface VjpOptions extends Omit<SolveOptions, 'cudaGraph'> {
  /** 'direct' backpropagates through every solver step; 'adjoint' solves the adjoint ODE backwards. */
  gradient: 'direct' | 'adjoint';
  /** Gradients of a loss with respect to x(s1) and v(s1); a missing one counts as zero. */
  gx?: Tensor;
  gv?: Tensor;
}

export interface VjpResult extends SecondOrderSolution {
  /** Work of the backward (adjoint) solve; absent for 'direct'. */
  backwardStats?: OdeStats;
  grads: { x0: Tensor; v0: Tensor; parameters: Record<string, Tensor> };
}

function common(opts: CommonOptions & GraphOption): Omit<NativeOdeRequest, 'f' | 'order' | 'state'> {
  const { s0, s1, method, steps, rtol, atol, maxSteps, cudaGraph } = opts;
  return { s0, s1, method, steps, rtol, atol, maxSteps, cudaGraph };
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
    const out = await run({ ...common(opts), f: opts.f, order: 'second', state: [opts.x0, opts.v0] });
    return { x: out.state[0] as Tensor, v: out.state[1] as Tensor, stats: out.stats };
  },

  /** Integrates dz/ds = f(z, s) from z0 at s0 to s1 (the official cU-Net's form). */
  async solveFirstOrder(opts: SolveFirstOrderOptions): Promise<FirstOrderSolution> {
    const out = await run({ ...common(opts), f: opts.f, order: 'first', state: [opts.z0] });
    return { z: out.state[0] as Tensor, stats: out.stats };
  },

  /**
   * Solves like solve() and returns the vector-Jacobian product: the gradients of
   * <gx, x(s1)> + <gv, v(s1)> with respect to x0, v0 and every parameter of f.
   */
  async vjp(opts: VjpOptions): Promise<VjpResult> {
    const out = await run({
      ...common(opts),
      f: opts.f,
      order: 'second',
      state: [opts.x0, opts.v0],
      gradient: opts.gradient,
      outputGrads: [opts.gx, opts.gv],
    });
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
