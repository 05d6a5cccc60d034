import fs from 'node:fs';
import path from 'node:path';

import { info, jit, ode, tensor, type OdeMethod, type ScriptModule, type Tensor } from '../lib';
import { native } from '../lib/native';
import { maxAbsDifference, relativeL2 } from './helpers/compare';
import { missingURejection } from './helpers/errors';

const FIXTURES = path.join(__dirname, 'fixtures');
const load = (name: string): ScriptModule => jit.load(path.join(FIXTURES, `${name}.pt`));
const X0 = [1, 0.5, -0.3, 0.8];
const V0 = [0.2, -1, 0.4, 0.1];
const state = (values: number[]): Tensor => tensor(Float32Array.from(values), [1, 1, 2, 2]);
/** Least-squares slope of log(error) against log(step size). */
function observedOrder(steps: number[], errors: number[]): number {
  const xs = steps.map((n) => Math.log(1 / n));
  const ys = errors.map(Math.log);
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  const cov = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
  return cov / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
}

describe("x'' = -x against its analytic solution", () => {
  const S1 = 2;
  const exact = X0.map((x, i) => x * Math.cos(S1) + V0[i] * Math.sin(S1));
  // Step counts in each method's asymptotic range and above float32 round-off.
  const cases: Array<[OdeMethod, number, number[], number]> = [
    ['euler', 1, [100, 200, 400], 1],
    ['midpoint', 2, [20, 40, 80], 2],
    ['rk4', 4, [4, 8, 16], 4],
    ['rk4-3/8', 4, [4, 8, 16], 4],
  ];

  it.each(cases)('%s converges with order %d', async (method, order, stepCounts, evalsPerStep) => {
    using f = load('harmonic');
    using x0 = state(X0);
    using v0 = state(V0);
    const errors: number[] = [];
    for (const steps of stepCounts) {
      const { x, v, stats } = await ode.solve({ f, x0, v0, s1: S1, method, steps });
      errors.push(maxAbsDifference(x.toFloat32Array(), exact));
      expect(stats).toEqual({ nfe: evalsPerStep * steps, accepted: steps, rejected: 0 });
      x.dispose();
      v.dispose();
    }
    expect(Math.abs(observedOrder(stepCounts, errors) - order)).toBeLessThan(0.3);
  });

  it('integrates backwards when s1 < s0', async () => {
    using f = load('harmonic');
    using x0 = state(X0);
    using v0 = state(V0);
    using forward = await ode.solve({ f, x0, v0, s1: S1, method: 'rk4', steps: 40 }).then((r) => r.x);
    const there = await ode.solve({ f, x0, v0, s1: S1, method: 'rk4', steps: 40 });
    const back = await ode.solve({ f, x0: there.x, v0: there.v, s0: S1, s1: 0, method: 'rk4', steps: 40 });
    expect(maxAbsDifference(back.x.toFloat32Array(), X0)).toBeLessThan(1e-5);
    expect(maxAbsDifference(forward.toFloat32Array(), exact)).toBeLessThan(1e-5);
  });
});

describe('dopri5', () => {
  it('reaches the requested tolerance on a damped oscillator, tighter with a tighter tolerance', async () => {
    // x'' + c x' + x = 0 with c = 0.5: x = e^{-cs/2} (x0 cos ws + (v0 + c x0 / 2) / w sin ws).
    const c = 0.5;
    const w = Math.sqrt(1 - (c * c) / 4);
    const S1 = 5;
    const exact = X0.map(
      (x, i) => Math.exp((-c * S1) / 2) * (x * Math.cos(w * S1) + ((V0[i] + (c * x) / 2) / w) * Math.sin(w * S1)),
    );
    using f = load('damped');
    using x0 = state(X0);
    using v0 = state(V0);
    const errorAt = async (rtol: number, atol: number) => {
      const { x, stats } = await ode.solve({ f, x0, v0, s1: S1, method: 'dopri5', rtol, atol });
      // FSAL: one evaluation for f(s0), one for the initial step, six per attempted step.
      expect(stats.nfe).toBe(2 + 6 * (stats.accepted + stats.rejected));
      return { error: maxAbsDifference(x.toFloat32Array(), exact), stats };
    };
    const loose = await errorAt(1e-3, 1e-5);
    const tight = await errorAt(1e-6, 1e-8);
    expect(loose.error).toBeLessThan(1e-3 * 10);
    expect(tight.error).toBeLessThan(1e-5);
    expect(tight.error).toBeLessThan(loose.error);
    expect(tight.stats.nfe).toBeGreaterThan(loose.stats.nfe);
  });

  it('solves a mildly stiff problem to tolerance and reports its work', async () => {
    // z' = -50 (z - cos s), z(0) = 0: z = (2500 cos s + 50 sin s) / 2501 - (2500 / 2501) e^{-50 s}.
    const S1 = 2;
    const exact = (2500 * Math.cos(S1) + 50 * Math.sin(S1)) / 2501 - (2500 / 2501) * Math.exp(-50 * S1);
    using f = load('stiff');
    using z0 = tensor(new Float32Array(3), [3]);
    const { z, stats } = await ode.solveFirstOrder({ f, z0, s1: S1, method: 'dopri5', rtol: 1e-5, atol: 1e-7 });
    expect(maxAbsDifference(z.toFloat32Array(), [exact, exact, exact])).toBeLessThan(1e-4);
    expect(stats.accepted).toBeGreaterThan(10);
    expect(stats.nfe).toBe(2 + 6 * (stats.accepted + stats.rejected));
  });

  it('gives up with a clear error after maxSteps', async () => {
    using f = load('stiff');
    using z0 = tensor(new Float32Array(3), [3]);
    await expect(
      ode.solveFirstOrder({ f, z0, s1: 2, method: 'dopri5', rtol: 1e-5, atol: 1e-7, maxSteps: 5 }),
    ).rejects.toThrow(/gave up after 5 steps .*raise maxSteps/);
  });
});

describe('PyTorch reference', () => {
  it('matches classic RK4 written in PyTorch on a conv network to 1e-5', async () => {
    const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'ode_reference.json'), 'utf8'));
    const fromRef = (r: { shape: number[]; data: number[] }) => tensor(Float32Array.from(r.data), r.shape);
    using f = load('accel_net');
    using x0 = fromRef(ref.h0);
    using v0 = fromRef(ref.v0);
    const { x, v } = await ode.solve({ f, x0, v0, method: 'rk4', steps: ref.steps });
    expect(maxAbsDifference(x.toFloat32Array(), ref.h1.data)).toBeLessThan(1e-5);
    expect(maxAbsDifference(v.toFloat32Array(), ref.v1.data)).toBeLessThan(1e-5);
  });
});

describe('gradients', () => {
  it('agree between backpropagation and the adjoint method to 1e-4 relative', async () => {
    using f = load('accel_net');
    const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'ode_reference.json'), 'utf8'));
    const fromRef = (r: { shape: number[]; data: number[] }) => tensor(Float32Array.from(r.data), r.shape);
    using x0 = fromRef(ref.h0);
    using v0 = fromRef(ref.v0);
    const n = ref.h0.data.length;
    using gx = tensor(
      Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
      ref.h0.shape,
    );
    using gv = tensor(
      Float32Array.from({ length: n }, (_, i) => Math.cos(i)),
      ref.h0.shape,
    );
    const common = { f, x0, v0, gx, gv, method: 'rk4' as const, steps: 16 };
    const direct = await ode.vjp({ ...common, gradient: 'direct' });
    const adjoint = await ode.vjp({ ...common, gradient: 'adjoint' });
    expect(adjoint.backwardStats).toEqual({ nfe: 64, accepted: 16, rejected: 0 });
    expect(direct.backwardStats).toBeUndefined();
    expect(relativeL2(adjoint.x, direct.x)).toBeLessThan(1e-6);
    expect(relativeL2(adjoint.grads.x0, direct.grads.x0)).toBeLessThan(1e-4);
    expect(relativeL2(adjoint.grads.v0, direct.grads.v0)).toBeLessThan(1e-4);
    const names = Object.keys(direct.grads.parameters).sort();
    expect(names).toEqual(['conv1.bias', 'conv1.weight', 'conv2.bias', 'conv2.weight', 'time']);
    for (const name of names) {
      expect(relativeL2(adjoint.grads.parameters[name], direct.grads.parameters[name])).toBeLessThan(1e-4);
    }
  });

  it('agree for the adaptive solver too', async () => {
    using f = load('accel_net');
    using x0 = tensor(
      Float32Array.from({ length: 50 }, (_, i) => Math.sin(i)),
      [1, 2, 5, 5],
    );
    using v0 = tensor(new Float32Array(50), [1, 2, 5, 5]);
    using gx = tensor(new Float32Array(50).fill(1), [1, 2, 5, 5]);
    const common = { f, x0, v0, gx, method: 'dopri5' as const, rtol: 1e-6, atol: 1e-8 };
    const direct = await ode.vjp({ ...common, gradient: 'direct' });
    const adjoint = await ode.vjp({ ...common, gradient: 'adjoint' });
    expect(relativeL2(adjoint.grads.x0, direct.grads.x0)).toBeLessThan(1e-4);
    expect(relativeL2(adjoint.grads.parameters['conv2.weight'], direct.grads.parameters['conv2.weight'])).toBeLessThan(
      1e-4,
    );
  });
});

describe('fused stage update', () => {
  it.each([1, 7, 2048, 2049, 100003])('equals the unfused chain for %d elements', (n) => {
    const rand = (seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 0.37));
    using y = tensor(rand(1), [n]);
    const ks = [2, 3, 4, 5, 6, 7].map((s) => tensor(rand(s), [n]));
    const coefs = [0.1, 0, -0.25, 0.5, 1e-3, 2];
    using fused = native.odeStageUpdate(y, ks, coefs, true) as Tensor;
    using unfused = native.odeStageUpdate(y, ks, coefs, false) as Tensor;
    const a = fused.toFloat32Array();
    const b = unfused.toFloat32Array();
    expect(maxAbsDifference(a, b)).toBeLessThan(1e-5);
    ks.forEach((k) => k.dispose());
  });
});

describe('bad options', () => {
  let f: ScriptModule;
  let x0: Tensor;
  let v0: Tensor;
  beforeAll(() => {
    f = load('harmonic');
    x0 = state(X0);
    v0 = state(V0);
  });
  afterAll(() => [f, x0, v0].forEach((o) => o.dispose()));

  it('names an unknown method and the known ones', async () => {
    await expect(ode.solve({ f, x0, v0, method: 'rk45' as OdeMethod, steps: 4 })).rejects.toThrow(
      "unknown ODE method 'rk45': use one of euler, midpoint, rk4, rk4-3/8, dopri5",
    );
  });

  it('needs steps >= 1 for fixed-step methods', async () => {
    await expect(ode.solve({ f, x0, v0, method: 'rk4', steps: 0 })).rejects.toThrow(
      "method 'rk4' is fixed-step: steps must be an integer >= 1 (got 0)",
    );
    await expect(ode.solve({ f, x0, v0, method: 'rk4' })).rejects.toThrow('steps must be an integer >= 1');
    await expect(ode.solve({ f, x0, v0, method: 'rk4', steps: 2.5 })).rejects.toThrow('steps must be an integer');
  });

  it('explains cudaGraph: the CUDA build only, fixed-step methods only', async () => {
    const message =
      info().build.cuda === 'yes'
        ? 'cudaGraph applies to fixed-step methods'
        : 'cudaGraph: true needs the CUDA build of missing-u (npm run build:cuda); this build is CPU-only';
    await expect(ode.solve({ f, x0, v0, method: 'dopri5', cudaGraph: true })).rejects.toThrow(message);
    if (info().build.cuda === 'no') {
      await expect(ode.solve({ f, x0, v0, method: 'rk4', steps: 2, cudaGraph: true })).rejects.toThrow(message);
    }
  });

  it('rejects negative tolerances', async () => {
    await expect(ode.solve({ f, x0, v0, method: 'dopri5', rtol: -1e-3 })).rejects.toThrow(
      'rtol and atol must be non-negative',
    );
  });

  it('says when dopri5 tolerances are below what float32 can resolve, not that the state became NaN', async () => {
    const err = await missingURejection(ode.solve({ f, x0, v0, method: 'dopri5', rtol: 1e-30, atol: 1e-30 }));
    expect(err.code).toBe('option');
    expect(err.message).toContain(
      'ODE solver dopri5: rtol 1e-30 and atol 1e-30 are below what float32 can resolve (its precision is ' +
        '1.19209e-07): the step size control broke down at s = 0; raise rtol and atol, or integrate in float64',
    );
  });

  it('rejects x0 and v0 of different shapes', async () => {
    using wrong = tensor(new Float32Array(3), [3]);
    await expect(ode.solve({ f, x0, v0: wrong, method: 'rk4', steps: 2 })).rejects.toThrow(
      'x0 has shape [1, 1, 2, 2] but v0 has shape [3]; they must be equal',
    );
  });

  it('rejects a module whose forward does not take (h, v, s)', async () => {
    using field = load('stiff');
    await expect(ode.solve({ f: field, x0, v0, method: 'rk4', steps: 2 })).rejects.toThrow(
      'f must be a module with forward(h, v, s), but its forward takes 2 input(s)',
    );
  });
});
