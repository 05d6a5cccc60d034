import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  jit,
  models,
  parseTrainConfig,
  randn,
  readSafetensors,
  sample,
  sampleBatches,
  saveCheckpoint,
  type ScriptModule,
} from '../lib';
import { NormalStream } from '../lib/normal-stream';
import { defaultBatchSize, SAMPLE_BATCH_BYTES, bytesPerSample } from '../lib/sample-memory';
import { runCliSync } from './helpers/cli-run';
import { maxAbsDifference } from './helpers/compare';
import { missingURejection } from './helpers/errors';

const FIXTURES = path.join(__dirname, 'fixtures');
const TINY = path.join(FIXTURES, 'tiny_denoiser.pt');

describe('x_T drawn in slices', () => {
  it.each([
    [7, [7]],
    [16, [5, 11]],
    [125, [50, 50, 25]],
    [125, [1, 124]],
    [784 * 3, [784, 784, 784]],
  ])('randn([%i]) read in pieces %j equals one draw', (total, pieces) => {
    using whole = randn([total], 3);
    using stream = new NormalStream(3, total);
    const read = pieces.map((count) => Array.from(stream.take(count))).flat();
    expect(read).toEqual(Array.from(whole.toFloat32Array()));
  });
});

describe('sample in batches', () => {
  let denoiser: ScriptModule;
  beforeAll(() => (denoiser = jit.load(TINY)));
  afterAll(() => denoiser.dispose());

  // 1 x 5 x 5 = 25 values per image: batch boundaries fall inside libtorch's 16-value blocks.
  const ddim = { shape: [1, 5, 5] as [number, number, number], sampler: 'ddim' as const, steps: 3, seed: 4 };

  // The same to float rounding: the network's own arithmetic differs with the batch (its kernels' blocking).
  it('gives deterministic DDIM (eta 0) the same images at every batch size', async () => {
    using whole = await sample(denoiser, { ...ddim, n: 5, batchSize: 5 });
    for (const batchSize of [1, 2, 3]) {
      using batched = await sample(denoiser, { ...ddim, n: 5, batchSize });
      expect(batched.shape).toEqual([5, 1, 5, 5]);
      const expected = whole.toFloat32Array();
      expect(maxAbsDifference(batched.toFloat32Array(), expected)).toBeLessThan(1e-5);
    }
  });

  it('seeds batch b of DDPM with seed + b: the first batch is the unbatched sample of its images', async () => {
    const ddpm = { shape: [1, 8, 8] as [number, number, number], sampler: 'ddpm' as const, steps: 3, seed: 9 };
    using batched = await sample(denoiser, { ...ddpm, n: 4, batchSize: 2 });
    using again = await sample(denoiser, { ...ddpm, n: 4, batchSize: 2 });
    using first = await sample(denoiser, { ...ddpm, n: 2 });
    const values = batched.toFloat32Array();
    expect(Array.from(again.toFloat32Array())).toEqual(Array.from(values));
    expect(Array.from(values.subarray(0, 2 * 64))).toEqual(Array.from(first.toFloat32Array()));
  });

  it('yields each batch with its first index and reports progress over all of them', async () => {
    const reports: Array<{ step: number; total: number }> = [];
    const firsts: number[] = [];
    for await (const { first, images } of sampleBatches(denoiser, {
      ...ddim,
      n: 5,
      batchSize: 2,
      onProgress: (p) => reports.push(p),
    })) {
      firsts.push(first);
      expect(images.shape[0]).toBe(Math.min(2, 5 - first));
      images.dispose();
    }
    expect(firsts).toEqual([0, 2, 4]);
    expect(reports.at(-1)).toEqual({ step: 9, total: 9, nfe: 3 }); // nfe: per image, of the batch in progress
  });

  it('refuses a bad batchSize, and a set or an image beyond memory before allocating', async () => {
    const zero = await missingURejection(sample(denoiser, { ...ddim, n: 2, batchSize: 0 }));
    expect(zero.message).toContain('batchSize must be an integer >= 1, got 0');
    const many = await missingURejection(sample(denoiser, { ...ddim, n: 1e12 }));
    expect(many.code).toBe('option');
    expect(many.message).toMatch(/^sample: 1000000000000 images of shape \[1, 5, 5\] would take 100 TB, more than/);
    expect(many.message).toContain('lower n');
    const huge = await missingURejection(sample(denoiser, { ...ddim, n: 1, shape: [1, 1000000, 1000000] }));
    expect(huge.code).toBe('option');
    expect(huge.message).toContain('shape [1, 1000000, 1000000]');
  });
});

describe('the default batch size', () => {
  it('fits the measured memory per image into the budget, a power of two, all n when they fit', async () => {
    using model = models.create({ preset: 'unet-mnist', imageSize: 16, width: 8, seed: 0 });
    const shape = [1, 16, 16];
    const per = await bytesPerSample(model, shape);
    expect(per).toBeGreaterThan(16 * 16 * 4 * 8);
    const fits = Math.floor(SAMPLE_BATCH_BYTES / per);
    expect(await defaultBatchSize(model, shape, 3)).toBe(3);
    const size = await defaultBatchSize(model, shape, 10 * fits);
    expect(Math.log2(size) % 1).toBe(0);
    expect(size).toBeLessThanOrEqual(fits);
    expect(size * 2).toBeGreaterThan(fits);
  });
});

describe('missing-u sample', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-sample-'))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Runs the CLI (one thread: two spin against each other on a busy machine) with a preload that writes its peak RSS. */
  function cli(args: string[]) {
    const preload = path.join(tmp, 'max-rss.js');
    const rssFile = path.join(tmp, 'max-rss');
    fs.writeFileSync(
      preload,
      // VmHWM, not resourceUsage().maxRSS: Linux carries ru_maxrss across exec, so a child spawned by a large
      // jest process would report jest's size.
      `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(1024 * Number(/VmHWM:\\s*(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]))));`,
    );
    const run = runCliSync(['sample', ...args], { nodeArgs: ['-r', preload], env: { MISSING_U_NUM_THREADS: '1' } });
    return { ...run, maxRss: Number(fs.readFileSync(rssFile, 'utf8')) };
  }

  it('refuses a grid beyond what a PNG may hold before sampling, naming --n or --shape', () => {
    const tiny = (shape: string, n: string) =>
      cli(['--torchscript', TINY, '--shape', shape, '--n', n, '--out', path.join(tmp, 'a.png')]);
    const many = tiny('1,8,8', '1000000000');
    expect(many.status).toBe(1);
    expect(many.stderr).toContain('missing-u: an image grid of 1000000000 images of 1x8x8 would be');
    expect(many.stderr).toContain('lower --n or --shape');
    const wide = tiny('1,100000,100000', '1');
    expect(wide.status).toBe(1);
    expect(wide.stderr).toContain('an image grid of 1 images of 1x100000x100000 would be 100004 x 100004 pixels');
    expect(many.maxRss + wide.maxRss).toBeLessThan(2e9); // refused, not tried
  });

  it('writes --tensor-out batch by batch: the same values as the API, no temp file left', async () => {
    const out = path.join(tmp, 'batched');
    const args = ['--shape', '1,5,5', '--n', '5', '--batch-size', '2', '--sampler', 'ddim', '--steps', '3'];
    const run = cli([
      '--torchscript',
      TINY,
      ...args,
      '--seed',
      '4',
      '--out',
      path.join(out, 'grid.png'),
      '--tensor-out',
      path.join(out, 's.safetensors'),
    ]);
    expect(run.status).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['grid.png', 's.safetensors']);
    using module = jit.load(TINY);
    using api = await sample(module, { shape: [1, 5, 5], n: 5, batchSize: 2, sampler: 'ddim', steps: 3, seed: 4 });
    const written = readSafetensors(path.join(out, 's.safetensors')).tensors.samples;
    expect(written.shape).toEqual([5, 1, 5, 5]);
    const expected = api.toFloat32Array();
    expect(maxAbsDifference(written.data, expected)).toBeLessThan(1e-6);
  });

  it('keeps the peak RSS of 768 cunet-mnist images under 1 GB by sampling in batches', () => {
    const checkpoint = path.join(tmp, 'cunet');
    const config = parseTrainConfig({ model: { preset: 'cunet-mnist' }, train: { steps: 1, batchSize: 1 } });
    const state = { step: 1, imageSize: 28, channels: 1, seed: 0, aborted: false, lastLoss: 0.5, savedAt: '' };
    {
      using model = models.create({ preset: 'cunet-mnist', seed: 0 });
      saveCheckpoint(checkpoint, { model, ema: model, config, state });
    }
    // All 768 at once (before batching) peaked at 1.5 GB; 64 at a time at about 0.5 GB.
    const run = cli(['--checkpoint', checkpoint, '--n', '768', '--steps', '1', '--out', path.join(tmp, 'c.png')]);
    expect(run.status).toBe(0);
    expect(run.maxRss).toBeLessThan(1e9);
  });
});
