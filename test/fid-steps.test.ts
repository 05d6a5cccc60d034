import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { saveCheckpoint } from '../lib/checkpoint/checkpoint';
import { parseTrainConfig } from '../lib/config/train-config';
import { cachedDatasetStats, MNIST_EXTRACTOR_FILE } from '../lib/eval/fid';
import { loadImageSource } from '../lib/eval/image-source';
import { optimalSteps } from '../lib/eval/optimal-steps';
import {
  disposeTrainerState,
  eval as evaluate,
  jit,
  loadCheckpoint,
  loadMnistPackage,
  train,
  type FidStepsRow,
} from '../lib';
import { runCli } from './helpers/cli-run';
import { placeholderStats } from './helpers/feature-stats';

const TINY_DENOISER = path.join(__dirname, 'fixtures', 'tiny_denoiser.pt');
const ROW_KEYS = [
  'checkpoint',
  'denoiser',
  'extractor',
  'fid',
  'n',
  'nfe',
  'ode',
  'precision',
  'sampler',
  'secondsPerSample',
  'seed',
  'spacing',
  'steps',
  'trainingSeed',
];

let dir: string;
let checkpoint: string;

// A tiny trained denoiser, saved the way `missing-u train` saves it.
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-fid-steps-'));
  const config = {
    model: { preset: 'unet-mnist' as const, width: 8 },
    diffusion: { objective: 'v' as const },
    train: { steps: 2, batchSize: 4, seed: 0 },
  };
  const result = await train({ ...config, data: loadMnistPackage(100) });
  checkpoint = path.join(dir, 'tiny');
  saveCheckpoint(checkpoint, {
    model: result.model,
    ema: result.ema,
    config: parseTrainConfig({ ...config, name: 'tiny', data: { source: 'mnist-package', limit: 100 } }, 'test'),
    state: { step: 2, imageSize: 28, channels: 1, seed: 0, aborted: false, lastLoss: null, savedAt: '' },
  });
  result.model.dispose();
  result.ema.dispose();
  disposeTrainerState(result.state);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function row(denoiser: string, steps: number, fid: number, secondsPerSample = steps / 100) {
  return { denoiser, steps, fid, secondsPerSample };
}

describe('the optimal-steps rule', () => {
  it('picks the fewest steps whose FID is within 5% of the best, per denoiser', () => {
    const rows = [
      row('a', 5, 12),
      row('a', 10, 10.4),
      row('a', 20, 10),
      row('a', 50, 10.2),
      row('b', 5, 3),
      row('b', 10, 3.1),
    ];
    expect(optimalSteps(rows)).toEqual([
      { denoiser: 'a', steps: 10, fid: 10.4, secondsPerSample: 0.1, bestFid: 10 },
      { denoiser: 'b', steps: 5, fid: 3, secondsPerSample: 0.05, bestFid: 3 },
    ]);
  });

  it('counts exactly 5% as within, takes the best itself when nothing else is close, and ignores row order', () => {
    expect(optimalSteps([row('a', 20, 10), row('a', 10, 10.5), row('a', 5, 10.51)])[0].steps).toBe(10);
    expect(optimalSteps([row('a', 100, 2), row('a', 50, 4), row('a', 5, 9)])[0]).toMatchObject({
      steps: 100,
      fid: 2,
      bestFid: 2,
    });
  });

  it('breaks ties: equal FIDs go to the fewer steps, equal steps to the lower FID', () => {
    expect(optimalSteps([row('a', 50, 7), row('a', 10, 7)])[0].steps).toBe(10);
    expect(optimalSteps([row('a', 10, 7.2), row('a', 10, 7), row('a', 20, 8)])[0]).toMatchObject({
      steps: 10,
      fid: 7,
    });
  });

  it('leaves out FIDs that are not finite and denoisers that have none', () => {
    expect(optimalSteps([row('a', 5, NaN), row('a', 10, 4), row('b', 5, Infinity)])).toEqual([
      { denoiser: 'a', steps: 10, fid: 4, secondsPerSample: 0.1, bestFid: 4 },
    ]);
    expect(optimalSteps([])).toEqual([]);
  });
});

describe('eval fid-steps', () => {
  it('measures FID and seconds per sample for each denoiser and step count, reproducibly, with a report', async () => {
    const cache = path.join(dir, 'stats');
    const report = path.join(dir, 'report');
    const args = ['eval', 'fid-steps', '--checkpoint', checkpoint, '--torchscript', `script=${TINY_DENOISER}`];
    args.push('--shape', '1,28,28', '--steps', '4,2', '--n', '48', '--batch-size', '32', '--seed', '3');
    const run = await runCli([...args, '--cache', cache, '--report', report, '--json']);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(run.stdout) as { rows: FidStepsRow[]; optimal: unknown[]; real: string };
    expect(result.real).toBe('mnist');
    // One row per denoiser and step count (in ascending steps), each with exactly the documented keys.
    expect(result.rows.map((r) => `${r.denoiser}@${r.steps}`)).toEqual(['tiny@2', 'tiny@4', 'script@2', 'script@4']);
    for (const r of result.rows) {
      expect(Object.keys(r).sort()).toEqual(ROW_KEYS);
      expect(r).toMatchObject({
        sampler: 'ddim',
        spacing: 'improved',
        nfe: r.steps,
        ode: null,
        precision: 'fp32',
        n: 48,
        seed: 3,
        extractor: 'missing-u-mnist-features-v1',
      });
      expect(r.checkpoint).toBe(r.denoiser === 'tiny' ? checkpoint : TINY_DENOISER);
      expect(r.trainingSeed).toBe(r.denoiser === 'tiny' ? 0 : null); // the checkpoint config's train.seed
      expect(Number.isFinite(r.fid)).toBe(true);
      expect(r.secondsPerSample).toBeGreaterThan(0);
    }
    expect(result.optimal).toEqual(optimalSteps(result.rows));
    expect(fs.readdirSync(report).sort()).toEqual(
      expect.arrayContaining([
        'fid-steps.json',
        'fid-steps.md',
        'fid-steps-steps.png',
        'fid-steps-steps.svg',
        'fid-steps-time.png',
      ]),
    );
    const markdown = fs.readFileSync(path.join(report, 'fid-steps.md'), 'utf8');
    expect(markdown).toContain('| denoiser | sampler | steps | spacing | NFE | ODE solver | FID ↓ | s / sample |');
    expect(markdown).toContain('![FID against seconds per sample](fid-steps-time.png)');

    // The API with the same settings (and the cached real statistics) gives the same FIDs to the digit;
    // each row stands alone, so measuring 2 steps only gives the FIDs it gave beside 4 steps.
    const extractor = evaluate.loadExtractor('mnist');
    const real = await cachedDatasetStats(
      { source: 'mnist', n: 48, extractorFile: MNIST_EXTRACTOR_FILE },
      extractor,
      () => loadImageSource('mnist', { n: 48 }),
      { cacheDir: cache },
    );
    expect(real.cached).toBe(true);
    const loaded = loadCheckpoint(checkpoint);
    loaded.model.dispose();
    const script = jit.load(TINY_DENOISER);
    try {
      const denoisers = [
        { name: 'tiny', denoiser: loaded.ema, checkpoint },
        { name: 'script', denoiser: script, shape: [1, 28, 28] as [number, number, number] },
      ];
      const settings = { steps: [2], n: 48, batchSize: 32, seed: 3, real: real.stats, extractor };
      const again = await evaluate.fidSteps(denoisers, settings);
      expect(again.rows.map((r) => `${r.denoiser}@${r.steps}`)).toEqual(['tiny@2', 'script@2']);
      expect(again.rows.map((r) => r.fid)).toEqual([result.rows[0].fid, result.rows[2].fid]);
      expect(again.rows[1].checkpoint).toBeNull();
      // Another seed starts from another x_T.
      const otherSeed = await evaluate.fidSteps(denoisers.slice(1), { ...settings, seed: 4 });
      expect(otherSeed.rows[0].fid).not.toBe(result.rows[2].fid);
      // The ODE sampler: a row per fixed-step count (3 Euler steps and the clean image: 4 evaluations)
      // or per dopri5 tolerance, each recording its solver, with its NFE as the row's steps.
      const euler = await evaluate.fidSteps(denoisers.slice(0, 1), {
        ...settings,
        steps: [3],
        sampler: 'ode',
        ode: { method: 'euler' },
      });
      expect(euler.rows[0]).toMatchObject({ sampler: 'ode', steps: 4, nfe: 4, ode: { method: 'euler', steps: 3 } });
      const adaptive = await evaluate.fidSteps(denoisers.slice(1), {
        ...settings,
        sampler: 'ode',
        tolerances: [0.1, 0.01],
      });
      expect(adaptive.rows.map((r) => [r.ode?.rtol, r.ode?.atol])).toEqual([
        [0.1, 0.1],
        [0.01, 0.01],
      ]);
      for (const r of adaptive.rows) {
        expect(r.nfe).toBeGreaterThanOrEqual(8); // dopri5: two evaluations to pick h, six per step, the last one
        expect(r.steps).toBe(Math.round(r.nfe));
      }
    } finally {
      loaded.ema.dispose();
      script.dispose();
      extractor.module.dispose();
    }
  });

  it('says what is missing or wrong before it samples anything', async () => {
    const none = await runCli(['eval', 'fid-steps', '--steps', '5']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('eval fid-steps needs at least one --checkpoint NAME=DIR or --torchscript NAME=FILE');
    const zero = await runCli(['eval', 'fid-steps', '--checkpoint', checkpoint, '--steps', '5,0']);
    expect(zero.stderr).toContain('--steps must be at least 1 (got 0)');
    const noShape = await runCli(['eval', 'fid-steps', '--torchscript', TINY_DENOISER]);
    expect(noShape.stderr).toContain('--torchscript needs --shape C,H,W');

    const extractor = evaluate.loadExtractor('mnist');
    using script = jit.load(TINY_DENOISER);
    try {
      const real = placeholderStats('other');
      const options = { real: { ...real, extractor: extractor.name }, extractor, n: 8, steps: [2] };
      await expect(evaluate.fidSteps([], options)).rejects.toThrow('eval.fidSteps needs at least one denoiser');
      await expect(evaluate.fidSteps([{ name: 's', denoiser: script }], options)).rejects.toThrow(
        "denoiser 's' is a TorchScript module: give its shape [C, H, W]",
      );
      const twice = [
        { name: 's', denoiser: script, shape: [1, 28, 28] as [number, number, number] },
        { name: 's', denoiser: script, shape: [1, 28, 28] as [number, number, number] },
      ];
      await expect(evaluate.fidSteps(twice, options)).rejects.toThrow("two denoisers are named 's'");
      await expect(evaluate.fidSteps(twice.slice(0, 1), { ...options, real })).rejects.toThrow(
        "the real statistics were made by 'other' but the extractor is 'missing-u-mnist-features-v1'",
      );
      await expect(evaluate.fidSteps(twice.slice(0, 1), { ...options, n: 1 })).rejects.toThrow('eval.fidSteps: n:');
    } finally {
      extractor.module.dispose();
    }
  });
});
