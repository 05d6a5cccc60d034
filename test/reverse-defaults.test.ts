// One default reverse process (docs/guide.md, "The reverse process"): what a call leaves out comes from
// the denoiser's checkpoint (its config's `sample` section), else DDIM, 50 steps, eta 0, seed 0; the
// library, the CLI, denoise and eval all resolve it the same way.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  DEFAULT_FLOW_ODE,
  DEFAULT_REVERSE,
  denoise,
  evaluation,
  jit,
  loadCheckpoint,
  loadMnistPackage,
  models,
  parseTrainConfig,
  readSafetensors,
  resolveReverse,
  sample,
  saveCheckpoint,
  Scheduler,
  tensor,
  type Denoiser,
  type ScriptModule,
  type Tensor,
} from '../lib';
import { imageRange } from '../lib/data/image-range';
import { loadDataset } from '../lib/data/load';
import { runCli } from './helpers/cli-run';
import { tinyState } from './helpers/checkpoint';

const FIXTURES = path.join(__dirname, 'fixtures');
/** A checkpoint's sample section unlike the defaults in every setting. */
const SECTION = { sampler: 'ddim', steps: 3, spacing: 'official', eta: 0.5, n: 2, seed: 7 } as const;
const TRAINED = { schedule: 'linear', diffusionSteps: 1000, objective: 'eps' } as const;

const values = (t: { toFloat32Array(): Float32Array }) => Array.from(t.toFloat32Array());

/** A narrow unet-mnist for 28 px digits: the checkpoint's network. */
const MODEL = { preset: 'unet-mnist', width: 8 } as const;
/** A fresh one, without a sample section. */
const freshModel = () => models.create({ ...MODEL, imageSize: 28, channels: 1, seed: 1 });
/** A TorchScript denoiser of (1, 8, 8) images, without a sample section. */
const script = () => jit.load(path.join(FIXTURES, 'tiny_denoiser.pt'));
const SCRIPT_SHAPE: [number, number, number] = [1, 8, 8];

/** The first `n` embedded digits, (n, 1, 28, 28) in [-1, 1]. */
function digits(n: number): Tensor {
  const mnist = loadMnistPackage(n);
  return tensor(mnist.data.slice(0, n * 784), [n, 1, 28, 28]);
}

/** The reverse steps a denoise call took and its PSNR after each. */
async function denoised(denoiser: Denoiser | ScriptModule, image: Tensor, opts: Parameters<typeof denoise>[2]) {
  const trace = await denoise(denoiser, image, opts);
  trace.noisy.dispose();
  return trace.steps.map(({ t, psnr }) => ({ t, psnr }));
}

/** The checkpoint's config: the narrow network, the MNIST digits and SECTION. */
const CONFIG = parseTrainConfig({ model: MODEL, train: { steps: 1, batchSize: 1 }, sample: SECTION });

let tmp: string;
let dir: string;
let ema: Denoiser;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-reverse-'));
  dir = path.join(tmp, 'run');
  using model = freshModel();
  saveCheckpoint(dir, { model, ema: model, config: CONFIG, state: tinyState });
  const loaded = loadCheckpoint(dir);
  loaded.model.dispose();
  ema = loaded.ema;
});
afterAll(() => {
  ema.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('resolveReverse', () => {
  it('takes each setting from the options, else the denoiser, else DDIM, 50 steps, eta 0, seed 0', () => {
    expect(DEFAULT_REVERSE).toEqual({
      sampler: 'ddim',
      steps: 50,
      spacing: 'improved',
      eta: 0,
      seed: 0,
      ode: DEFAULT_FLOW_ODE,
    });
    expect(DEFAULT_FLOW_ODE).toEqual({ method: 'dopri5', rtol: 1e-3, atol: 1e-3, epsilon: 1e-3, maxSteps: 10000 });
    expect(resolveReverse(undefined, {})).toEqual(DEFAULT_REVERSE);
    expect(resolveReverse({ sampler: 'ddpm', steps: 10, eta: 1 }, { steps: 4, seed: 2 })).toEqual({
      sampler: 'ddpm',
      steps: 4,
      spacing: 'improved',
      eta: 1,
      seed: 2,
      ode: DEFAULT_FLOW_ODE,
    });
  });

  it("merges the 'ode' sampler's solver setting by setting: options, else the denoiser's, else the default", () => {
    const own = { sampler: 'ode' as const, ode: { method: 'rk4' as const, steps: 8, epsilon: 0.01 } };
    expect(resolveReverse(own, { ode: { steps: 4, rtol: undefined } }).ode).toEqual({
      ...DEFAULT_FLOW_ODE,
      method: 'rk4',
      steps: 4,
      epsilon: 0.01,
    });
  });

  it('caps the steps left out at the steps available, never the steps given', () => {
    expect(resolveReverse(undefined, {}, 20).steps).toBe(20);
    expect(resolveReverse({ steps: 30 }, {}, 20).steps).toBe(20);
    expect(resolveReverse(undefined, { steps: 80 }, 20).steps).toBe(80);
  });
});

describe('sample', () => {
  it('a loaded checkpoint carries its sample section, and sample() takes what the options leave out from it', async () => {
    expect(ema.sampling).toEqual(SECTION);
    let total = 0;
    using implicit = await sample(ema, { n: 2, onProgress: (p) => (total = p.total) });
    expect(total).toBe(SECTION.steps);
    using explicit = await sample(ema, { n: 2, sampler: 'ddim', steps: 3, eta: 0.5, seed: 7 });
    expect(values(implicit)).toEqual(values(explicit));
  });

  it('options given win over the checkpoint, each on its own', async () => {
    using ddpm = await sample(ema, { n: 2, sampler: 'ddpm' });
    using ddpmExplicit = await sample(ema, { n: 2, sampler: 'ddpm', steps: 3, eta: 0.5, seed: 7 });
    expect(values(ddpm)).toEqual(values(ddpmExplicit));
    using section = await sample(ema, { n: 2 });
    expect(values(ddpm)).not.toEqual(values(section));
    using otherSeed = await sample(ema, { n: 2, seed: 8 });
    expect(values(otherSeed)).not.toEqual(values(section));
  });

  it('a denoiser without a sample section runs DDIM, 50 steps, eta 0, seed 0 (all T when T is smaller)', async () => {
    using model = script();
    const shape = SCRIPT_SHAPE;
    let total = 0;
    using implicit = await sample(model, { n: 1, shape, onProgress: (p) => (total = p.total) });
    expect(total).toBe(50);
    using explicit = await sample(model, { n: 1, shape, sampler: 'ddim', steps: 50, eta: 0, seed: 0 });
    expect(values(implicit)).toEqual(values(explicit));
    using short = await sample(model, { n: 1, shape, diffusionSteps: 20, onProgress: (p) => (total = p.total) });
    expect(short.shape).toEqual([1, ...shape]);
    expect(total).toBe(20);
  });

  it('Scheduler leaves out what sample() does: DDIM, 50 steps (at most T)', () => {
    using scheduler = new Scheduler();
    expect(scheduler.timesteps).toHaveLength(50);
    using short = new Scheduler({ diffusionSteps: 20 });
    expect(short.timesteps).toHaveLength(20);
  });
});

describe('denoise', () => {
  it('follows the checkpoint, with at most noiseStep + 1 steps when they are left out', async () => {
    using image = digits(1);
    const implicit = await denoised(ema, image, { noiseStep: 10 });
    expect(implicit).toHaveLength(SECTION.steps);
    expect(implicit).toEqual(
      await denoised(ema, image, { noiseStep: 10, sampler: 'ddim', steps: 3, eta: 0.5, seed: 7 }),
    );
    using model = script();
    using small = tensor(new Float32Array(64).fill(0.5), [1, ...SCRIPT_SHAPE]);
    expect(await denoised(model, small, { noiseStep: 10 })).toHaveLength(11);
    expect(await denoised(model, small, { noiseStep: 100 })).toHaveLength(50);
    expect(await denoised(model, small, { noiseStep: 10, sampler: 'ddpm', steps: 11 })).toHaveLength(11);
  });
});

describe('eval', () => {
  it('the denoising study runs each denoiser’s own reverse process unless one is given', async () => {
    using image = digits(1);
    using model = freshModel();
    const denoisers = [
      { name: 'checkpoint', denoiser: ema },
      { name: 'fresh', denoiser: model },
    ];
    const own = await evaluation.denoiseStudy(denoisers, image, { noiseSteps: [10], baseline: false });
    expect(own.sampler).toBeNull();
    const rowsOf = (study: typeof own) =>
      study.rows.filter((r) => r.trace === 'x_t').map(({ denoiser, sampler, steps }) => ({ denoiser, sampler, steps }));
    expect(rowsOf(own)).toEqual([
      { denoiser: 'checkpoint', sampler: 'ddim', steps: 3 },
      { denoiser: 'fresh', sampler: 'ddim', steps: 11 },
    ]);
    // The paper's study: DDPM over every step from the noise step.
    const paper = await evaluation.denoiseStudy(denoisers, image, {
      noiseSteps: [10],
      baseline: false,
      sampler: 'ddpm',
      steps: 1000,
    });
    expect(paper.sampler).toBe('ddpm');
    expect(rowsOf(paper).map((r) => `${r.sampler} ${r.steps}`)).toEqual(['ddpm 11', 'ddpm 11']);
  });

  it('efficiency times each model with its checkpoint’s sampler and steps', async () => {
    using model = freshModel();
    const rows = await evaluation.efficiency(
      [
        { name: 'checkpoint', model: ema },
        { name: 'fresh', model, steps: 2 },
      ],
      { batch: 1 },
    );
    expect(rows.map((r) => `${r.sampler} ${r.steps}`)).toEqual(['ddim 3', 'ddim 2']);
  });

  it('efficiency times the models side by side: each round runs every model once, in turn', async () => {
    using model = freshModel();
    const order: string[] = [];
    await evaluation.efficiency(
      [
        { name: 'checkpoint', model: ema, steps: 1 },
        { name: 'fresh', model, steps: 1 },
      ],
      { batch: 1, repeats: 3, onProgress: (p) => order.push(p.name) },
    );
    expect(order).toEqual(['checkpoint', 'fresh', 'checkpoint', 'fresh', 'checkpoint', 'fresh']);
  });
});

describe('the CLI', () => {
  it('samples a checkpoint as the library does, and --json says the settings applied', async () => {
    const file = path.join(tmp, 'cli.safetensors');
    const out = path.join(tmp, 'cli.png');
    const { code, stdout } = await runCli([
      'sample',
      '--checkpoint',
      dir,
      '--out',
      out,
      '--tensor-out',
      file,
      '--json',
    ]);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.settings).toEqual({ ...TRAINED, sampler: 'ddim', steps: 3, spacing: 'official', eta: 0.5, seed: 7 });
    expect(summary.images).toBe(SECTION.n);
    using library = await sample(ema, { n: SECTION.n });
    expect(Array.from(readSafetensors(file).tensors.samples.data)).toEqual(values(library));
  });

  it('denoise and eval digits follow the checkpoint as the library does', async () => {
    const trace = await runCli(['denoise', '--checkpoint', dir, '--n', '1', '--noise-step', '10', '--json']);
    expect(trace.code).toBe(0);
    // The image denoise takes: the first of the checkpoint's dataset.
    const data = await loadDataset(CONFIG.data);
    using image = imageRange(data.data, data.shape, 0, 1);
    const library = await denoised(ema, image, { noiseStep: 10 });
    expect(JSON.parse(trace.stdout).trace.map(({ t, psnr }: { t: number; psnr: number }) => ({ t, psnr }))).toEqual(
      library,
    );
    const flagged = await runCli([
      'denoise',
      '--checkpoint',
      dir,
      '--n',
      '1',
      '--noise-step',
      '10',
      '--steps',
      '5',
      '--json',
    ]);
    expect(JSON.parse(flagged.stdout).trace).toHaveLength(5);
    const digitsRun = await runCli(['eval', 'digits', '--images', dir, '--n', '2', '--json']);
    expect(digitsRun.code).toBe(0);
    using samples = await sample(ema, { n: 2 });
    const expected = await evaluation.digitConfidence(samples);
    expect(JSON.parse(digitsRun.stdout)).toMatchObject({ n: 2, confident: expected.confident, share: expected.share });
  });

  it('sample --torchscript prints the settings it applied on one stderr line, and --json carries them', async () => {
    const out = path.join(tmp, 'script.png');
    const model = path.join(FIXTURES, 'tiny_denoiser.pt');
    const args = ['sample', '--torchscript', model, '--shape', '1,8,8', '--n', '1', '--out', out];
    const { code, stdout, stderr } = await runCli([...args, '--steps', '2', '--objective', 'v', '--json']);
    expect(code).toBe(0);
    const settings = { ...TRAINED, objective: 'v', sampler: 'ddim', steps: 2, spacing: 'improved', eta: 0, seed: 0 };
    expect(JSON.parse(stdout).settings).toEqual(settings);
    const lines = stderr.split('\n').filter((line) => line.startsWith('missing-u: sampling with'));
    expect(lines).toEqual([
      'missing-u: sampling with schedule linear, diffusion steps 1000, objective v; sampler ddim, steps 2 (improved spacing), eta 0, seed 0',
    ]);
    // Left out: the defaults, as the library resolves them for that module.
    const plain = await runCli([...args, '--json']);
    const { sampler, steps, spacing, eta, seed } = DEFAULT_REVERSE;
    expect(JSON.parse(plain.stdout).settings).toEqual({ ...TRAINED, sampler, steps, spacing, eta, seed });
    // The ODE sampler's solver, from its flags; the settings then carry it.
    const odeArgs = ['--sampler', 'ode', '--ode-method', 'euler', '--ode-steps', '2', '--ode-epsilon', '0.01'];
    const ode = await runCli([...args, ...odeArgs, '--json']);
    expect(ode.code).toBe(0);
    expect(JSON.parse(ode.stdout).settings.ode).toEqual({
      ...DEFAULT_FLOW_ODE,
      method: 'euler',
      steps: 2,
      epsilon: 0.01,
    });
    expect(ode.stderr).toContain('sampler ode (euler, 2 steps, down to t = 0.01), seed 0');
  });
});
