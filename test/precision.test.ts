// Mixed precision: bf16 / fp16 wherever a network runs, with the accuracy bounds of issue 15 (not speed:
// docs/performance.md holds the timings). bf16 cases run where this CPU runs bf16 natively (avx512_bf16
// or AMX; info().cpuPrecisions), as the CI machine does.
import fs from 'node:fs';
import path from 'node:path';

import { info, jit, loadMnistPackage, models, ode, sample, tensor, train, type Tensor } from '../lib';
import { parseTrainConfig } from '../lib/config/train-config';
import { relativeL2 } from './helpers/compare';

const FIXTURES = path.join(__dirname, 'fixtures');
const bf16 = info().cpuPrecisions.includes('bf16');
const withBf16 = bf16 ? it : it.skip;

function inputs(model: { channels: number; imageSize: number }, batch: number): [Tensor, Tensor] {
  const shape = [batch, model.channels, model.imageSize, model.imageSize];
  const n = shape.reduce((a, b) => a * b);
  return [
    tensor(
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)),
      shape,
    ),
    tensor(
      Float32Array.from({ length: batch }, (_, i) => 100 + 250 * i),
      [batch],
    ),
  ];
}

describe('precision option', () => {
  it('is fp32 unless asked, and unknown names are refused by missing-u', () => {
    using model = models.create({ preset: 'cunet-mnist', seed: 0 });
    expect(model.precision).toBe('fp32');
    expect(info().cpuPrecisions).toContain('fp32');
    expect(() => models.create({ preset: 'cunet-mnist', precision: 'fp8' as 'fp32' })).toThrow(/precision/);
    expect(() =>
      parseTrainConfig({
        name: 'x',
        model: { preset: 'cunet-mnist' },
        train: { steps: 1, batchSize: 1, precision: 'fp64' },
      }),
    ).toThrow(/precision/);
  });

  (info().cpuPrecisions.includes('fp16') ? it.skip : it)(
    'refuses fp16 on a CPU without AMX-FP16, naming the fix',
    () => {
      expect(() => models.create({ preset: 'cunet-mnist', precision: 'fp16' })).toThrow(
        "fp16 on a CPU needs AMX-FP16, which this CPU lacks: use precision 'bf16' on the CPU",
      );
    },
  );

  withBf16('a bf16 forward is within 2e-2 relative L2 of fp32, for every model family', async () => {
    for (const preset of ['cunet-paper', 'unet-mnist', 'cunet-mnist'] as const) {
      using fp32 = models.create({ preset, seed: 3 });
      using low = models.create({ preset, seed: 3, precision: 'bf16' });
      expect(low.precision).toBe('bf16');
      const [x, t] = inputs(fp32, 2);
      using a = await fp32.forward(x, t);
      using b = await low.forward(x, t);
      x.dispose();
      t.dispose();
      expect(b.shape).toEqual(a.shape);
      const error = relativeL2(b, a);
      expect(error).toBeGreaterThan(0); // it did run in bf16
      expect(error).toBeLessThan(2e-2);
    }
  });

  withBf16('sample and the ODE solver take it too, and stay close to fp32', async () => {
    using model = models.create({ preset: 'cunet-mnist', seed: 1 });
    using a = await sample(model, { n: 2, steps: 5, seed: 4 });
    using b = await sample(model, { n: 2, steps: 5, seed: 4, precision: 'bf16' });
    const error = relativeL2(b, a);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(5e-2);

    using f = jit.load(path.join(FIXTURES, 'accel_net.pt'));
    const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'ode_reference.json'), 'utf8'));
    const fromRef = (r: { shape: number[]; data: number[] }) => tensor(Float32Array.from(r.data), r.shape);
    using x0 = fromRef(ref.h0);
    using v0 = fromRef(ref.v0);
    const full = await ode.solve({ f, x0, v0, method: 'rk4', steps: ref.steps });
    const low = await ode.solve({ f, x0, v0, method: 'rk4', steps: ref.steps, precision: 'bf16' });
    expect(relativeL2(low.x, full.x)).toBeLessThan(2e-2);
    for (const t of [full.x, full.v, low.x, low.v]) t.dispose();
  });

  withBf16('bf16 training tracks fp32: the same seed ends within 5% in loss, with float32 weights', async () => {
    const data = loadMnistPackage(256);
    const run = async (precision: 'fp32' | 'bf16') =>
      train({
        model: { preset: 'cunet-mnist' },
        data,
        train: { steps: 120, batchSize: 8, seed: 5, precision, checkpointEvery: 0, checkpointSeconds: 0 },
      });
    const full = await run('fp32');
    const low = await run('bf16');
    const tail = (losses: Float64Array) => losses.slice(-40).reduce((a, b) => a + b) / 40;
    expect(Math.abs(tail(low.losses) - tail(full.losses)) / tail(full.losses)).toBeLessThan(0.05);
    expect(low.skippedSteps).toBe(0);
    // The weights stay float32 (a checkpoint is unchanged by precision): only the arithmetic differs.
    const weights = low.model.stateDict();
    expect(weights.every(({ tensor: w }) => w.dtype === 'float32')).toBe(true);
    for (const r of [full, low]) {
      r.model.dispose();
      r.ema.dispose();
    }
  });

  withBf16('the loss scaler skips every step whose gradients overflow, halving the scale, and goes on', async () => {
    const reports: Array<{ skipped: boolean; lossScale: number }> = [];
    const run = await train(
      {
        model: { preset: 'cunet-mnist' },
        data: loadMnistPackage(64),
        // 3e38 overflows float32 in backward: the first steps must be skipped until the scale fits.
        train: { steps: 12, batchSize: 4, seed: 0, precision: 'bf16', lossScale: 3e38 },
      },
      { onProgress: (p) => reports.push({ skipped: p.skipped, lossScale: p.lossScale }) },
    );
    expect(run.skippedSteps).toBeGreaterThan(0);
    expect(run.skippedSteps).toBe(reports.filter((r) => r.skipped).length);
    expect(run.skippedSteps).toBeLessThan(12);
    const skipped = reports.findIndex((r) => !r.skipped);
    // Each skipped step halves the scale; the first good one keeps it.
    expect(reports[0].lossScale).toBeCloseTo(1.5e38, -35);
    expect(reports[skipped].lossScale).toBe(reports[skipped - 1].lossScale);
    for (const { tensor: w } of run.model.stateDict()) {
      expect(w.toFloat32Array().every(Number.isFinite)).toBe(true);
    }
    run.model.dispose();
    run.ema.dispose();
  });
});
