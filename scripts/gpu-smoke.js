#!/usr/bin/env node
'use strict';
// The CUDA smoke run of scripts/gpu-check: every part that takes a device, on `cuda`, checked against
// the same work on the CPU where the answer should match. Prints one JSON object; exits 1 when a check
// fails. Needs the compiled TypeScript (dist/) and the CUDA addon (MISSING_U_ADDON=cuda).

const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..');
const lib = require(path.join(ROOT, 'dist', 'lib'));
const native = require(path.join(ROOT, 'dist', 'lib', 'native')).native;

const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const device = process.env.MISSING_U_TEST_DEVICE || 'cuda';
const checks = [];

function maxAbsDiff(a, b) {
  const x = a.toFloat32Array();
  const y = b.toFloat32Array();
  if (x.length !== y.length) return Infinity;
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

function wave(n, seed = 0) {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7919 + i * 0.61803));
}

/** Runs one named check; `fn` returns details (and `ok: false` to fail). Exceptions fail the check. */
function relativeL2(a, b) {
  const x = a.toFloat32Array();
  const y = b.toFloat32Array();
  let num = 0;
  let den = 0;
  x.forEach((v, i) => {
    num += (v - y[i]) ** 2;
    den += y[i] ** 2;
  });
  return Math.sqrt(num / den);
}

async function check(name, fn) {
  const t0 = performance.now();
  try {
    const details = (await fn()) || {};
    const ok = details.ok !== false;
    checks.push({ name, ms: Math.round(performance.now() - t0), ...details, ok });
  } catch (err) {
    checks.push({ name, ok: false, ms: Math.round(performance.now() - t0), error: err.message });
  }
}

async function main() {
  const info = lib.info();
  await check('info', () => ({
    ok: info.build.cuda === 'yes' && info.cuda && info.cudaDeviceCount > 0,
    torch: info.torch,
    cudaDeviceCount: info.cudaDeviceCount,
    cudaVersion: info.build.cudaVersion,
    cudaArchs: info.build.cudaArchs,
  }));

  await check('tensor round trip', () => {
    const data = wave(1000);
    const t = lib.tensor(data, [10, 100], { device });
    const back = t.toFloat32Array();
    const where = t.device;
    t.dispose();
    return { ok: where.startsWith('cuda') && back.every((v, i) => v === data[i]), device: where };
  });

  await check('fused stage update (CUDA kernel) vs unfused', () => {
    const n = 1 << 20;
    const y = lib.tensor(wave(n, 0), [n], { device });
    const ks = [1, 2, 3, 4, 5, 6].map((s) => lib.tensor(wave(n, s), [n], { device }));
    const coefs = ks.map((_, i) => 0.1 * (i + 1));
    const fused = native.odeStageUpdate(y, ks, coefs, true);
    const unfused = native.odeStageUpdate(y, ks, coefs, false);
    const diff = maxAbsDiff(fused, unfused);
    [y, ...ks, fused, unfused].forEach((t) => t.dispose());
    return { ok: diff < 1e-5, maxAbsDiff: diff };
  });

  await check('ode.solve rk4 and dopri5, cuda vs cpu', async () => {
    const shape = [4, 2, 16, 16];
    const n = shape.reduce((a, b) => a * b);
    const out = {};
    let ok = true;
    for (const method of ['rk4', 'dopri5']) {
      const results = [];
      for (const d of ['cpu', device]) {
        const f = lib.jit.load(path.join(FIXTURES, 'accel_net.pt'), { device: d });
        const x0 = lib.tensor(wave(n), shape, { device: d });
        const v0 = lib.tensor(new Float32Array(n), shape, { device: d });
        results.push(await lib.ode.solve({ f, x0, v0, method, steps: 8, rtol: 1e-5, atol: 1e-6 }));
        [f, x0, v0].forEach((o) => o.dispose());
      }
      const diff = maxAbsDiff(results[0].x, results[1].x);
      out[method] = { maxAbsDiff: diff, nfe: results[1].stats.nfe };
      ok = ok && diff < 1e-3;
      results.forEach((r) => [r.x, r.v].forEach((t) => t.dispose()));
    }
    return { ok, ...out };
  });

  await check('ode.solve with cudaGraph: true (rk4) vs eager', async () => {
    const shape = [4, 2, 16, 16];
    const n = shape.reduce((a, b) => a * b);
    const f = lib.jit.load(path.join(FIXTURES, 'accel_net.pt'), { device });
    const x0 = lib.tensor(wave(n), shape, { device });
    const v0 = lib.tensor(new Float32Array(n), shape, { device });
    const t0 = performance.now();
    const eager = await lib.ode.solve({ f, x0, v0, method: 'rk4', steps: 64 });
    const eagerMs = performance.now() - t0;
    const t1 = performance.now();
    const graphed = await lib.ode.solve({ f, x0, v0, method: 'rk4', steps: 64, cudaGraph: true });
    const graphMs = performance.now() - t1;
    const diff = maxAbsDiff(eager.x, graphed.x);
    [eager.x, eager.v, graphed.x, graphed.v, f, x0, v0].forEach((o) => o.dispose());
    return { ok: diff < 1e-4, maxAbsDiff: diff, eagerMs: Math.round(eagerMs), graphMs: Math.round(graphMs) };
  });

  await check('models forward, cuda vs cpu', async () => {
    const out = {};
    let ok = true;
    for (const preset of ['cunet-mnist', 'unet-mnist']) {
      const ys = [];
      for (const d of ['cpu', device]) {
        const model = lib.models.create({ preset, seed: 0, device: d });
        const shape = [2, model.channels, model.imageSize, model.imageSize];
        const x = lib.tensor(wave(shape.reduce((a, b) => a * b)), shape, { device: d });
        const t = lib.tensor(new Float32Array([10, 500]), [2], { device: d });
        ys.push(await model.forward(x, t));
        [model, x, t].forEach((o) => o.dispose());
      }
      const diff = maxAbsDiff(ys[0], ys[1]);
      ys.forEach((y) => y.dispose());
      // cuDNN may use TF32 convolutions: agreement to about 1e-2, not bit for bit.
      out[preset] = { maxAbsDiff: diff };
      ok = ok && diff < 5e-2;
    }
    return { ok, ...out };
  });

  let trained;
  await check('train 20 steps on cuda', async () => {
    const t0 = performance.now();
    trained = await lib.train({
      model: { preset: 'unet-mnist', device },
      data: lib.loadMnistPackage(),
      train: { steps: 20, batchSize: 16, seed: 0 },
    });
    const ms = performance.now() - t0;
    const losses = Array.from(trained.losses);
    return {
      ok: losses.length === 20 && losses.every(Number.isFinite),
      firstLoss: losses[0],
      lastLoss: losses[losses.length - 1],
      stepsPerSecond: Math.round((20 / ms) * 1000 * 10) / 10,
    };
  });

  await check('sample ddim 10 steps on cuda, eager and cudaGraph', async () => {
    if (!trained) return { ok: false, error: 'no trained model' };
    const opts = { n: 4, sampler: 'ddim', steps: 10, seed: 0 };
    const t0 = performance.now();
    const eager = await lib.sample(trained.ema, opts);
    const eagerMs = performance.now() - t0;
    const t1 = performance.now();
    const graphed = await lib.sample(trained.ema, { ...opts, cudaGraph: true });
    const graphMs = performance.now() - t1;
    const diff = maxAbsDiff(eager, graphed);
    const result = {
      ok: eager.device.startsWith('cuda') && diff < 1e-3,
      device: eager.device,
      maxAbsDiff: diff,
      eagerMs: Math.round(eagerMs),
      graphMs: Math.round(graphMs),
    };
    [eager, graphed].forEach((t) => t.dispose());
    return result;
  });

  await check('eval on cuda tensors', async () => {
    if (!lib.eval) return { skipped: 'this version exports no eval module' };
    const shape = [2, 1, 28, 28];
    const n = shape.reduce((a, b) => a * b);
    const a = lib.tensor(wave(n), shape, { device });
    const b = lib.tensor(wave(n, 1), shape, { device });
    const out = {};
    try {
      for (const metric of ['ssim', 'psnr']) {
        if (typeof lib.eval[metric] === 'function') out[metric] = await lib.eval[metric](a, b);
      }
    } finally {
      [a, b].forEach((t) => t.dispose());
    }
    return out;
  });

  await check('precision matrix: forward and training step in fp32, bf16 and fp16', async () => {
    const out = {};
    let ok = true;
    for (const preset of ['cunet-paper', 'unet-paper']) {
      const row = {};
      let reference;
      for (const precision of ['fp32', 'bf16', 'fp16']) {
        const model = lib.models.create({ preset, seed: 0, device, precision });
        const shape = [8, model.channels, model.imageSize, model.imageSize];
        const x = lib.tensor(wave(shape.reduce((a, b) => a * b)), shape, { device });
        const t = lib.tensor(
          Float32Array.from({ length: 8 }, (_, i) => 100 * i + 50),
          [8],
          { device },
        );
        (await model.forward(x, t)).dispose(); // warm-up: kernel choice, autocast casts
        const times = [];
        let y;
        for (let i = 0; i < 5; i++) {
          y?.dispose();
          const t0 = performance.now();
          y = await model.forward(x, t);
          y.toFloat32Array(); // waits for the device
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        if (precision === 'fp32') reference = y;
        const diff = reference === y ? 0 : relativeL2(y, reference);
        const steps = [];
        const run = await lib.train(
          {
            model: { preset, device },
            data: { name: 'wave', data: wave(32 * shape[1] * shape[2] * shape[3]), shape: [32, ...shape.slice(1)] },
            diffusion: { objective: 'v', schedule: 'sigmoid' },
            train: { steps: 12, batchSize: 8, precision, seed: 0, checkpointEvery: 0, checkpointSeconds: 0 },
          },
          { onProgress: () => steps.push(performance.now()) },
        );
        const stepMs = steps
          .slice(2)
          .map((s, i) => s - steps[i + 1])
          .sort((a, b) => a - b);
        const finite = Array.from(run.losses).every(Number.isFinite) || run.skippedSteps > 0;
        row[precision] = {
          forwardMs: Math.round(times[2] * 10) / 10,
          trainStepMs: Math.round(stepMs[Math.floor(stepMs.length / 2)] * 10) / 10,
          relativeL2VsFp32: diff,
          skippedSteps: run.skippedSteps,
        };
        ok = ok && diff < 2e-2 && finite;
        [model, x, t, run.model, run.ema].forEach((o) => o.dispose());
        if (precision !== 'fp32') y.dispose();
      }
      reference.dispose();
      out[preset] = row;
    }
    return { ok, ...out };
  });

  if (trained) {
    trained.model.dispose();
    trained.ema.dispose();
  }
  const ok = checks.every((c) => c.ok);
  process.stdout.write(`${JSON.stringify({ device, ok, checks }, null, 2)}\n`);
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ device, ok: false, checks, error: err.message }, null, 2)}\n`);
  process.exit(1);
});
