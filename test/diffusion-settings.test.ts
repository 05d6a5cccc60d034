import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  denoise,
  jit,
  loadCheckpoint,
  loadCheckpointAsync,
  MissingUError,
  models,
  parseTrainConfig,
  readSafetensors,
  sample,
  saveCheckpoint,
  tensor,
  train,
} from '../lib';
import { runCli } from './helpers/cli-run';

const FIXTURES = path.join(__dirname, 'fixtures');
const V_COSINE = { objective: 'v', schedule: 'cosine', diffusionSteps: 200 } as const;

const same = (a: { toFloat32Array(): Float32Array }, b: { toFloat32Array(): Float32Array }) =>
  expect(Array.from(a.toFloat32Array())).toEqual(Array.from(b.toFloat32Array()));

describe('checkpoints carry their diffusion settings', () => {
  let tmp: string;
  let dir: string;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-settings-'));
    dir = path.join(tmp, 'run');
    const data = Float32Array.from({ length: 8 * 16 * 16 }, (_, i) => Math.cos(i / 7));
    const result = await train({
      model: { preset: 'unet-mnist' },
      data: { name: 'waves', data, shape: [8, 1, 16, 16] },
      diffusion: V_COSINE,
      train: { steps: 2, batchSize: 2 },
    });
    // The models train() returns know how they were trained.
    expect(result.ema.diffusion).toEqual(V_COSINE);
    expect(result.model.diffusion).toEqual(V_COSINE);
    const config = parseTrainConfig({
      model: { preset: 'unet-mnist' },
      data: { source: 'image-folder', path: 'x', imageSize: 16, channels: 1 },
      diffusion: V_COSINE,
      train: { steps: 2, batchSize: 2 },
    });
    saveCheckpoint(dir, {
      model: result.model,
      ema: result.ema,
      config,
      state: { step: 2, imageSize: 16, channels: 1, seed: 0, aborted: false, lastLoss: null, savedAt: 'now' },
    });
    result.model.dispose();
    result.ema.dispose();
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a checkpoint trained with v and cosine samples identically with and without passing them', async () => {
    const checkpoint = await loadCheckpointAsync(dir);
    checkpoint.model.dispose();
    using ema = checkpoint.ema;
    expect(ema.diffusion).toEqual(V_COSINE);
    using implicit = await sample(ema, { n: 2, steps: 5, seed: 11 });
    using explicit = await sample(ema, { n: 2, steps: 5, seed: 11, ...V_COSINE });
    same(implicit, explicit);
    // What the settings change: the defaults (eps, linear, 1000) give other images.
    using defaults = await sample(ema, {
      n: 2,
      steps: 5,
      seed: 11,
      objective: 'eps',
      schedule: 'linear',
      diffusionSteps: 1000,
    });
    expect(Array.from(defaults.toFloat32Array())).not.toEqual(Array.from(implicit.toFloat32Array()));
  });

  it('denoise uses them too, and an option given wins', async () => {
    const checkpoint = loadCheckpoint(dir);
    checkpoint.model.dispose();
    using ema = checkpoint.ema;
    using image = tensor(new Float32Array(16 * 16).fill(0.2), [1, 1, 16, 16]);
    const implicit = await denoise(ema, image, { noiseStep: 50, seed: 2, sampler: 'ddim', steps: 5 });
    const explicit = await denoise(ema, image, { noiseStep: 50, seed: 2, sampler: 'ddim', steps: 5, ...V_COSINE });
    same(implicit.noisy, explicit.noisy);
    expect(implicit.steps.map((s) => s.mse)).toEqual(explicit.steps.map((s) => s.mse));
    await expect(denoise(ema, image, { noiseStep: 500, seed: 2 })).rejects.toThrow(
      /noiseStep must be an integer in \[0, 199\]/,
    );
    for (const t of [implicit.noisy, explicit.noisy]) t.dispose();
  });

  it('models.create takes them for a model to be trained', () => {
    using model = models.create({ preset: 'unet-mnist', imageSize: 16, diffusion: { objective: 'x0' } });
    expect(model.diffusion).toEqual({ objective: 'x0', schedule: 'linear', diffusionSteps: 1000 });
    using plain = models.create({ preset: 'unet-mnist', imageSize: 16 });
    expect(plain.diffusion).toBeUndefined();
  });

  it('TorchScript denoisers take them from jit.load or a .diffusion.json beside the file', async () => {
    const pt = path.join(tmp, 'scripted.pt');
    fs.copyFileSync(path.join(FIXTURES, 'tiny_denoiser.pt'), pt);
    const shape: [number, number, number] = [1, 8, 8];
    using given = jit.load(pt, { diffusion: V_COSINE });
    expect(given.diffusion).toEqual(V_COSINE);
    using reference = await sample(given, { n: 1, steps: 4, seed: 5, shape });

    fs.writeFileSync(path.join(tmp, 'scripted.diffusion.json'), JSON.stringify(V_COSINE));
    using beside = await jit.loadAsync(pt);
    expect(beside.diffusion).toEqual(V_COSINE);
    using fromFile = await sample(beside, { n: 1, steps: 4, seed: 5, shape });
    same(reference, fromFile);

    fs.writeFileSync(path.join(tmp, 'scripted.diffusion.json'), JSON.stringify({ objective: 'w' }));
    expect(() => jit.load(pt)).toThrow(MissingUError);
    expect(() => jit.load(pt)).toThrow(/scripted\.diffusion\.json: objective is "w"; use eps, x0, v/);
    fs.rmSync(path.join(tmp, 'scripted.diffusion.json'));
  });

  it('the CLI samples a TorchScript denoiser with --objective, --schedule and --diffusion-steps', async () => {
    const pt = path.join(FIXTURES, 'tiny_denoiser.pt');
    const flags = ['--objective', 'v', '--schedule', 'cosine', '--diffusion-steps', '200'];
    const common = ['sample', '--torchscript', pt, '--shape', '1,8,8', '--n', '1', '--steps', '4', '--seed', '5'];
    const cli = await runCli([
      ...common,
      ...flags,
      '--out',
      path.join(tmp, 'cli.png'),
      '--tensor-out',
      path.join(tmp, 'cli.safetensors'),
    ]);
    expect(cli.code).toBe(0);
    using module = jit.load(pt);
    using api = await sample(module, { n: 1, steps: 4, seed: 5, shape: [1, 8, 8], sampler: 'ddim', ...V_COSINE });
    const written = readSafetensors(path.join(tmp, 'cli.safetensors')).tensors.samples;
    expect(Array.from(written.data)).toEqual(Array.from(api.toFloat32Array()));
    const bad = await runCli([...common, '--objective', 'w', '--out', path.join(tmp, 'bad.png')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('the diffusion flags: objective is "w"; use eps, x0, v');
  });
});
