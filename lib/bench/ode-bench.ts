import { jit } from '../jit';
import { memory } from '../memory';
import { native } from '../native';
import { ode } from '../ode';
import { tensor, type Tensor } from '../tensor';
import { medianMs, round } from './timing';

export interface StageUpdateRow {
  elements: number;
  terms: number;
  fusedMs: number;
  unfusedMs: number;
  /** unfused time / fused time: above 1 means the fused kernel is faster. */
  speedup: number;
}

export interface GradientMemoryRow {
  steps: number;
  method: 'direct' | 'adjoint';
  /** Peak CPU tensor bytes above the inputs during forward + backward. */
  peakBytes: number;
  ms: number;
}

function randomTensor(n: number, seed: number): Tensor {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(seed * 7919 + i * 0.61803);
  return tensor(data, [n]);
}

/** The fused stage update against the same sum as a chain of torch ops, side by side. */
export async function benchStageUpdate(sizes = [1e4, 1e5, 1e6, 1e7], termCounts = [4, 6]): Promise<StageUpdateRow[]> {
  const rows: StageUpdateRow[] = [];
  for (const elements of sizes) {
    for (const terms of termCounts) {
      const y = randomTensor(elements, 0);
      const ks = Array.from({ length: terms }, (_, i) => randomTensor(elements, i + 1));
      const coefs = ks.map((_, i) => 0.1 * (i + 1));
      const run = (fused: boolean) => () => native.odeStageUpdate(y, ks, coefs, fused).dispose();
      const fusedMs = await medianMs(run(true));
      const unfusedMs = await medianMs(run(false));
      rows.push({
        elements,
        terms,
        fusedMs: round(fusedMs),
        unfusedMs: round(unfusedMs),
        speedup: round(unfusedMs / fusedMs),
      });
      [y, ...ks].forEach((t) => t.dispose());
    }
  }
  return rows;
}

/**
 * Peak memory of gradients through the solver: backpropagation stores every step, the adjoint
 * method none. `modelPath` is a TorchScript forward(h, v, s) on 2-channel images.
 */
export async function benchGradientMemory(modelPath: string, stepCounts = [4, 16, 64]): Promise<GradientMemoryRow[]> {
  const stats = memory.stats();
  if (!stats) return [];
  using f = jit.load(modelPath);
  const shape = [8, 2, 32, 32];
  const n = shape.reduce((a, b) => a * b);
  using x0 = tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.1)),
    shape,
  );
  using v0 = tensor(new Float32Array(n), shape);
  using gx = tensor(new Float32Array(n).fill(1), shape);
  const rows: GradientMemoryRow[] = [];
  for (const steps of stepCounts) {
    for (const method of ['direct', 'adjoint'] as const) {
      const base = (memory.stats() as NonNullable<typeof stats>).allocated;
      memory.resetPeak();
      const t0 = performance.now();
      const out = await ode.vjp({ f, x0, v0, gx, method: 'rk4', steps, gradient: method });
      const ms = performance.now() - t0;
      const peak = (memory.stats() as NonNullable<typeof stats>).peakAllocated - base;
      [out.x, out.v, out.grads.x0, out.grads.v0, ...Object.values(out.grads.parameters)].forEach((t) => t.dispose());
      rows.push({ steps, method, peakBytes: peak, ms: round(ms) });
    }
  }
  return rows;
}
