import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import * as missingU from '../lib';
import {
  disposeStepImages,
  jit,
  loadCheckpointAsync,
  MissingUError,
  models,
  tensor,
  train,
  type DenoiseStep,
  type ImageFormat,
  type TrainConfigJson,
} from '../lib';
import { runCli } from './helpers/cli-run';
import { missingUError } from './helpers/errors';

const FIXTURES = path.join(__dirname, 'fixtures');

describe('the public API', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-api-'))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('exports these values from the package root (types are checked by npm run docs)', () => {
    expect(Object.keys(missingU).sort()).toEqual([
      'CHECKPOINT_FORMAT',
      'DEFAULT_FLOW_ODE',
      'DEFAULT_REVERSE',
      'DTYPES',
      'Generator',
      'IMAGE_EXTENSIONS',
      'ImageGrid',
      'MissingUError',
      'PREPARED_FORMAT',
      'SAMPLERS',
      'SPACINGS',
      'Scheduler',
      'Tensor',
      'data',
      'denoise',
      'diffusionFileFor',
      'disposeStepImages',
      'disposeTrainerState',
      'distributedAvailable',
      'distributedFromEnv',
      'eval',
      'evaluation',
      'findCheckpoint',
      'imageFormatFor',
      'importOfficial',
      'info',
      'isCheckpointFolder',
      'jit',
      'loadCheckpoint',
      'loadCheckpointAsync',
      'loadCheckpointEma',
      'loadImageFolder',
      'loadMnistIdx',
      'loadMnistIdxAsync',
      'loadMnistPackage',
      'loadMnistPackageAsync',
      'loadTrainConfig',
      'loadTrainerState',
      'lossWeights',
      'memory',
      'models',
      'noiseSchedule',
      'ode',
      'parseTrainConfig',
      'qSample',
      'randn',
      'readSafetensors',
      'readSafetensorsAsync',
      'resolveDiffusion',
      'resolveReverse',
      'sample',
      'sampleBatches',
      'saveCheckpoint',
      'setNumThreads',
      'tensor',
      'train',
      'trainingTarget',
      'writeImageGrid',
      'writeSafetensors',
    ]);
  });

  it('exports the helpers around denoise traces and image files', async () => {
    using model = models.create({ preset: 'unet-mnist', imageSize: 8, seed: 0 });
    using image = tensor(new Float32Array(64), [1, 1, 8, 8]);
    const trace = await missingU.denoise(model, image, { noiseStep: 2, trace: 'images' });
    const kept: DenoiseStep[] = trace.steps.filter((step) => step.image);
    expect(kept).toHaveLength(3);
    trace.steps.forEach(disposeStepImages);
    trace.noisy.dispose();
    const format: ImageFormat = missingU.imageFormatFor('grid.webp');
    expect(format).toBe('webp');
    expect(missingU.IMAGE_EXTENSIONS).toEqual(['.png', '.jpg', '.jpeg', '.webp']);
    const grid = new missingU.ImageGrid(2, [1, 8, 8], { columns: 2, scale: 1 });
    grid.add(new Float32Array(2 * 64), 0);
    await grid.write(path.join(tmp, 'batched.jpg'));
    expect(fs.readFileSync(path.join(tmp, 'batched.jpg'))[0]).toBe(0xff);
  });

  it('exports the safetensors reader and writer, the image-grid writer, config types and evaluation', async () => {
    const file = path.join(tmp, 'x.safetensors');
    missingU.writeSafetensors(file, { a: { shape: [2], data: Float32Array.from([1, 2]) } });
    expect(Array.from(missingU.readSafetensors(file).tensors.a.data)).toEqual([1, 2]);
    expect(Array.from((await missingU.readSafetensorsAsync(file)).tensors.a.data)).toEqual([1, 2]);
    using images = tensor(new Float32Array(4 * 8 * 8), [4, 1, 8, 8]);
    await missingU.writeImageGrid(images, path.join(tmp, 'grid.png'));
    expect(fs.readFileSync(path.join(tmp, 'grid.png')).subarray(1, 4).toString()).toBe('PNG');
    using none = tensor(new Float32Array(0), [0, 1, 8, 8]);
    const empty = await missingU.writeImageGrid(none, path.join(tmp, 'none.png')).catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(MissingUError);
    expect((empty as MissingUError).code).toBe('option');
    expect((empty as MissingUError).message).toContain('an image grid needs at least one image, got 0');
    const config: TrainConfigJson = missingU.parseTrainConfig({
      model: { preset: 'unet-mnist' },
      train: { steps: 1, batchSize: 1 },
    });
    expect(config.diffusion.objective).toBe('eps');
    expect(missingU.evaluation).toBe(missingU.eval);
    expect(typeof missingU.evaluation.ssim).toBe('function');
  });

  it('native failures are MissingUErrors with a stable code', async () => {
    expect(missingUError(() => models.create({ preset: 'unet-mnist', device: 'cuda:7' })).code).toBe('device');
    expect(missingUError(() => models.create({ preset: 'no-such' as 'unet-mnist' })).code).toBe('option');
    using a = models.create({ preset: 'unet-mnist', imageSize: 16 });
    using wide = models.create({ preset: 'unet-mnist', imageSize: 16, width: 8 });
    const weights = Object.fromEntries(wide.stateDict().map(({ name, tensor: t }) => [name, t]));
    const mismatch = missingUError(() => a.loadStateDict(weights));
    expect(mismatch.code).toBe('shape');
    expect(mismatch.message).toMatch(/^tensor '[\w.]+' has shape/);
    Object.values(weights).forEach((t) => t.dispose());
    const corrupt = path.join(tmp, 'corrupt.pt');
    fs.writeFileSync(corrupt, 'PK\u0003\u0004 not really');
    const format = await jit.loadAsync(corrupt).catch((e: unknown) => e);
    expect(format).toBeInstanceOf(MissingUError);
    expect((format as MissingUError).code).toBe('format');
    expect(missingUError(() => jit.load(path.join(tmp, 'absent.pt'))).code).toBe('file');
    const huge = missingUError(() => a.flops([1, 1, 1e6, 1e6]));
    expect(huge.code).toBe('option');
    expect(huge.message).toMatch(/^flops\(shape\): an input of \[1, 1, 1000000, 1000000\] alone would take 4 TB/);
    using x = tensor(new Float32Array(16 * 16), [1, 1, 16, 16]);
    using t = tensor(new Float32Array([1, 2]), [2]);
    expect(missingUError(() => a.forward(x, t)).code).toBe('option');
    const controller = new AbortController();
    controller.abort();
    const aborted = await missingU.sample(a, { n: 1, signal: controller.signal }).catch((e: unknown) => e);
    expect((aborted as MissingUError).code).toBe('aborted');
  });

  it('loads TorchScript files and checkpoints asynchronously', async () => {
    using module = await jit.loadAsync(path.join(FIXTURES, 'tiny_denoiser.pt'));
    expect(module.signature).toContain('forward(');
    await expect(loadCheckpointAsync(path.join(tmp, 'none'))).rejects.toMatchObject({ code: 'file' });
  });

  it('train() without data trains on the default digits, loaded asynchronously', async () => {
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    const result = await train({ model: { preset: 'unet-mnist' }, train: { steps: 1, batchSize: 2 } });
    clearInterval(timer);
    expect(result.losses).toHaveLength(1);
    expect(turns).toBeGreaterThan(0); // the event loop ran while the digits loaded and the step trained
    result.model.dispose();
    result.ema.dispose();
  });
});

describe('CLI help and inspect', () => {
  const commands = [
    [],
    ['info'],
    ['train'],
    ['configs'],
    ['sample'],
    ['denoise'],
    ['inspect'],
    ['eval'],
    ['eval', 'ssim'],
    ['eval', 'psnr'],
    ['eval', 'lpips'],
    ['eval', 'fid'],
    ['eval', 'fid-steps'],
    ['eval', 'fid-spread'],
    ['eval', 'denoise-study'],
    ['eval', 'efficiency'],
    ['bench'],
    ['import-official'],
  ];

  const nameOf = (command: string[]) => command.join(' ') || 'missing-u';
  // A process per --help, all started at once, so that their libtorch loads overlap on the cores.
  let helps: Map<string, ReturnType<typeof runCli>>;
  beforeAll(() => {
    helps = new Map(commands.map((command) => [nameOf(command), runCli([...command, '--help'])]));
  });

  it.each(commands.map((command) => [nameOf(command)]))('%s --help shows an example', async (name: string) => {
    const help = await helps.get(name)!;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/\nExample:\n {2}missing-u /);
  });

  it('sample --help gives the defaults of --n, --sampler, --steps and --seed', async () => {
    const help = (await helps.get('sample')!).stdout.replace(/\s+/g, ' ');
    for (const option of ['--n <n>', '--sampler <name>', '--steps <n>', '--seed <n>', '--objective <name>']) {
      const description = help.slice(help.indexOf(option), help.indexOf(' --', help.indexOf(option) + option.length));
      expect(description).toContain('default');
    }
  });

  it('inspect prints a plain table: no index column, no quoted strings', async () => {
    const out = await runCli(['inspect', '--preset', 'unet-mnist']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^preset\s+imageSize\s+channels\s+parameters/);
    expect(lines[1]).toMatch(/^-+( +-+)+$/);
    expect(lines[2]).toMatch(/^unet-mnist\s+28\s+1\s+[\d,]+/);
    expect(out.stdout).not.toContain('(index)');
    expect(out.stdout).not.toContain("'");
  });
});
