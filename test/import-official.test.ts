import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { denoise, evaluation, importOfficial, loadCheckpoint, loadTrainerState, sample, tensor, train } from '../lib';
import { runCli } from './helpers/cli-run';
import { missingURejection } from './helpers/errors';
import { overclaimed, smallTrainerArchive } from './helpers/torch-mutations';
import { readZip, writeZip } from './helpers/torch-zip';

// official_cunet.pt: the official Trainer's file for GaussianDiffusion(ConvSODEUNet(num_filters=2)),
// made by test/fixtures/make_official_fixture.py with the official code; official_cunet.json: an input
// and the EMA network's output in PyTorch 2.13.
const FIXTURES = path.join(__dirname, 'fixtures');
const FILE = path.join(FIXTURES, 'official_cunet.pt');
const reference = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'official_cunet.json'), 'utf8')) as {
  width: number;
  imageSize: number;
  shape: number[];
  x: number[];
  t: number[];
  output: number[];
};

describe('import-official', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-official-'));
  const out = path.join(tmp, 'imported');
  beforeAll(async () => {
    await importOfficial(FILE, { preset: 'cunet-paper', out });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("gives the EMA network's PyTorch output to 1e-4 relative", async () => {
    const checkpoint = loadCheckpoint(out);
    checkpoint.model.dispose();
    using ema = checkpoint.ema;
    expect(ema.width).toBe(reference.width);
    using x = tensor(Float32Array.from(reference.x), reference.shape);
    using t = tensor(Float32Array.from(reference.t), [reference.t.length]);
    using y = await ema.forward(x, t);
    const got = y.toFloat32Array();
    let diff = 0;
    let norm = 0;
    reference.output.forEach((v, i) => {
      diff += (got[i] - v) ** 2;
      norm += v * v;
    });
    expect(Math.sqrt(diff / norm)).toBeLessThan(1e-4);
  });

  it('takes the official diffusion settings from the stored buffers, and sampling uses them', async () => {
    const checkpoint = loadCheckpoint(out);
    checkpoint.model.dispose();
    using ema = checkpoint.ema;
    expect(checkpoint.config.diffusion).toMatchObject({ objective: 'v', schedule: 'sigmoid', diffusionSteps: 1000 });
    expect(ema.diffusion).toEqual({ objective: 'v', schedule: 'sigmoid', diffusionSteps: 1000 });
    using a = await sample(ema, { n: 1, steps: 4, seed: 3 });
    using b = await sample(ema, { n: 1, steps: 4, seed: 3, objective: 'v', schedule: 'sigmoid', diffusionSteps: 1000 });
    expect(Array.from(a.toFloat32Array())).toEqual(Array.from(b.toFloat32Array()));
    // It denoises and evaluates as any checkpoint does.
    const trace = await denoise(ema, a, { noiseStep: 20, seed: 1, sampler: 'ddim', steps: 4 });
    expect(trace.steps.length).toBeGreaterThan(0);
    trace.noisy.dispose();
    const [s] = await evaluation.ssim(a, a);
    expect(s).toBeCloseTo(1, 5);
  });

  it("resumes training with the file's Adam moments", async () => {
    const checkpoint = loadCheckpoint(out);
    const state = loadTrainerState(out);
    expect(state.step).toBe(3);
    // Moments from 'opt' (not zeros) for the trained parameters.
    const moment = state.expAvgSq['classifier.weight'].toFloat32Array();
    expect(moment.some((v) => v > 0)).toBe(true);
    const side = reference.imageSize;
    const data = Float32Array.from({ length: 4 * 3 * side * side }, (_, i) => Math.sin(i) * 0.5);
    const result = await train(
      {
        model: { preset: 'cunet-paper', width: reference.width },
        data: { name: 'random', data, shape: [4, 3, side, side] },
        diffusion: checkpoint.config.diffusion,
        train: { steps: 4, batchSize: 2 },
      },
      { resume: { model: checkpoint.model, ema: checkpoint.ema, state } },
    );
    expect(result.losses.length).toBe(1);
    expect(Number.isFinite(result.losses[0])).toBe(true);
    for (const m of [checkpoint.model, checkpoint.ema, result.model, result.ema]) m.dispose();
    for (const t of [...Object.values(state.expAvg), ...Object.values(state.expAvgSq)]) t.dispose();
  });

  it('refuses a file that is not an official Trainer checkpoint, naming why', async () => {
    const text = path.join(tmp, 'notes.pt');
    fs.writeFileSync(text, 'not a checkpoint');
    const notZip = await missingURejection(importOfficial(text, { preset: 'cunet-paper', out: path.join(tmp, 'a') }));
    expect(notZip.code).toBe('format');
    expect(notZip.message).toContain(`${text} is not a torch.save file: it is not a zip archive`);

    const scripted = path.join(FIXTURES, 'tiny_denoiser.pt');
    const torchScript = await missingURejection(
      importOfficial(scripted, { preset: 'cunet-paper', out: path.join(tmp, 'b') }),
    );
    expect(torchScript.code).toBe('format');
    expect(torchScript.message).toContain(scripted);

    const missing = await missingURejection(
      importOfficial(path.join(tmp, 'nope.pt'), { preset: 'cunet-paper', out: path.join(tmp, 'c') }),
    );
    expect(missing.code).toBe('file');
    expect(fs.existsSync(path.join(tmp, 'a'))).toBe(false);
  });

  it('names the first mismatching tensor when the preset does not fit', async () => {
    const err = await missingURejection(importOfficial(FILE, { preset: 'unet-paper', out: path.join(tmp, 'd') }));
    expect(err.code).toBe('shape');
    expect(err.message).toMatch(
      /does not match preset unet-paper: its tensor 'model\.[\w.]+' \[[\d, ]+\] has no counterpart/,
    );
    expect(fs.existsSync(path.join(tmp, 'd'))).toBe(false);
  });

  it('refuses a tensor storage that claims more than its record holds, from the API and the CLI', async () => {
    const crafted = path.join(tmp, 'overclaimed.pt');
    fs.writeFileSync(
      crafted,
      writeZip(overclaimed(readZip(fs.readFileSync(FILE)), 'official_cunet/data.pkl', 2 ** 28)),
    );
    const expected =
      `${crafted}: tensor storage 0 claims 1073741824 bytes (268435456 Float elements) but its record data/0 ` +
      'holds 4000: the file is corrupt';
    const err = await missingURejection(importOfficial(crafted, { preset: 'cunet-paper', out: path.join(tmp, 'e') }));
    expect(err.code).toBe('format');
    expect(err.message).toBe(expected);
    const cli = await runCli(['import-official', crafted, '--preset', 'cunet-paper', '--out', path.join(tmp, 'f')]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(expected);
  });

  it('refuses NaN weights and betas that are no noise schedule, naming the file and the tensor', async () => {
    const official = readZip(fs.readFileSync(FILE));
    const nan = path.join(tmp, 'nan.pt');
    const withNaN = smallTrainerArchive(official).set(
      'official_cunet/data/0',
      Buffer.from(new Float32Array([0.1, NaN, 0.3, 0.4, 0.5, 0.6]).buffer),
    );
    fs.writeFileSync(nan, writeZip(withNaN));
    const notFinite = await missingURejection(importOfficial(nan, { preset: 'cunet-paper', out: path.join(tmp, 'h') }));
    expect(notFinite.code).toBe('numeric');
    expect(notFinite.message).toBe(
      `${nan}: tensor model['model.w'] holds NaN or Inf values: the file is corrupt or the run diverged`,
    );
    const oneStep = path.join(tmp, 'one-step.pt');
    const betas = { key: '2', dtype: 'Float', numel: 5, offset: 0, sizes: [1], strides: [1] };
    fs.writeFileSync(oneStep, writeZip(smallTrainerArchive(official, { betas })));
    const noSchedule = await missingURejection(
      importOfficial(oneStep, { preset: 'cunet-paper', out: path.join(tmp, 'i') }),
    );
    expect(noSchedule.code).toBe('format');
    expect(noSchedule.message).toBe(
      `${oneStep}: its betas have shape [1]; a noise schedule has T in [2, 100000] steps`,
    );
  });

  it('refuses a pickle nested deeper than libtorch can free', async () => {
    const records = readZip(fs.readFileSync(FILE));
    const deep = Buffer.concat([
      Buffer.from([0x80, 2]),
      Buffer.alloc(100_000, ']'),
      Buffer.alloc(99_999, 'a'),
      Buffer.from('.'),
    ]);
    const crafted = path.join(tmp, 'deep.pt');
    fs.writeFileSync(crafted, writeZip(new Map(records).set('official_cunet/data.pkl', deep)));
    const err = await missingURejection(importOfficial(crafted, { preset: 'cunet-paper', out: path.join(tmp, 'g') }));
    expect(err.code).toBe('format');
    expect(err.message).toBe(`${crafted}: its pickle cannot be read (its values nest deeper than 1000 levels)`);
  });

  it('runs from the CLI and refuses a folder that is not a missing-u checkpoint', async () => {
    const cliOut = path.join(tmp, 'cli');
    const ok = await runCli([
      'import-official',
      FILE,
      '--preset',
      'cunet-paper',
      '--out',
      cliOut,
      '--image-size',
      '32',
      '--json',
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      step: 3,
      width: 2,
      diffusion: { objective: 'v', schedule: 'sigmoid' },
    });
    const foreign = path.join(tmp, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'mine.txt'), 'keep');
    const refused = await runCli(['import-official', FILE, '--preset', 'cunet-paper', '--out', foreign]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(foreign);
    expect(fs.readFileSync(path.join(foreign, 'mine.txt'), 'utf8')).toBe('keep');
  });
});
