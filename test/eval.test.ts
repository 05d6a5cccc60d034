import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { saveCheckpoint } from '../lib/checkpoint/checkpoint';
import { writeSafetensors } from '../lib/io/safetensors';
import { parseTrainConfig } from '../lib/config/train-config';
import { gaussianBlur } from '../lib/eval/gaussian-blur';
import { markdownTable } from '../lib/report/markdown';
import { chartSvg } from '../lib/report/chart';
import { disposeTrainerState, eval as evaluate, jit, loadMnistPackage, tensor, train } from '../lib';
import { runCliJson, runCliSync } from './helpers/cli-run';

const ROOT = path.resolve(__dirname, '..');
const TINY_LPIPS = path.join(ROOT, 'test', 'fixtures', 'tiny_lpips.pt');

let dir: string;
const checkpoints: Record<string, string> = {};

// Two tiny trained denoisers, saved as checkpoints the way `missing-u train` saves them.
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-eval-'));
  const mnist = loadMnistPackage(200);
  for (const preset of ['cunet-mnist', 'unet-mnist'] as const) {
    const result = await train({
      model: { preset },
      data: mnist,
      train: { steps: 2, batchSize: 8, seed: 0 },
      diffusion: { objective: 'v' },
    });
    const config = parseTrainConfig(
      {
        name: preset,
        model: { preset },
        data: { source: 'mnist-package', limit: 200 },
        diffusion: { objective: 'v' },
        train: { steps: 2, batchSize: 8 },
        sample: { sampler: 'ddim', steps: 5, n: 8 },
      },
      'test config',
    );
    checkpoints[preset] = path.join(dir, preset);
    saveCheckpoint(checkpoints[preset], {
      model: result.model,
      ema: result.ema,
      config,
      trainer: result.state,
      state: { step: 2, imageSize: 28, channels: 1, seed: 0, aborted: false, lastLoss: null, savedAt: '' },
    });
    result.model.dispose();
    result.ema.dispose();
    disposeTrainerState(result.state);
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the denoising study', () => {
  it('traces SSIM and LPIPS along the reverse process of each denoiser and writes a report with plots', () => {
    const report = path.join(dir, 'study');
    const study = runCliJson([
      'eval',
      'denoise-study',
      '--checkpoint',
      `cunet=${checkpoints['cunet-mnist']}`,
      '--checkpoint',
      `unet=${checkpoints['unet-mnist']}`,
      '--n',
      '3',
      '--chunk',
      '2',
      '--noise-steps',
      '10,30',
      '--sampler',
      'ddpm',
      '--steps',
      '1000',
      '--lpips',
      TINY_LPIPS,
      '--report',
      report,
      '--json',
    ]);
    type Labelled = { denoiser: string; noiseStep: number; trace: string };
    expect(study.rows.map((r: Labelled) => `${r.denoiser}@${r.noiseStep} ${r.trace}`)).toEqual([
      'cunet@10 x_t',
      'cunet@10 x0-hat',
      'unet@10 x_t',
      'unet@10 x0-hat',
      'cunet@30 x_t',
      'cunet@30 x0-hat',
      'unet@30 x_t',
      'unet@30 x0-hat',
    ]);
    for (const row of study.rows) {
      // DDPM runs every step from the noise step back to 0.
      const curve = study.curves.filter(
        (c: Labelled) => c.denoiser === row.denoiser && c.noiseStep === row.noiseStep && c.trace === row.trace,
      );
      expect(curve).toHaveLength(row.noiseStep + 1);
      expect(curve.at(-1).t).toBe(0);
      const ssims = curve.map((c: { ssim: number }) => c.ssim);
      expect(row.bestSsim).toBe(Math.max(...ssims));
      expect(row.bestSsim).toBeGreaterThanOrEqual(row.finalSsim);
      expect(row.bestLpips).toBe(Math.min(...curve.map((c: { lpips: number }) => c.lpips)));
      expect(row.ssimPeakT).toBe(curve[ssims.indexOf(row.bestSsim)].t);
      expect(row.ssimPeakSteps).toBe(ssims.indexOf(row.bestSsim) + 1);
      const seconds = curve.map((c: { seconds: number }) => c.seconds);
      expect(seconds).toEqual([...seconds].sort((a, b) => a - b));
      expect(row.ssimPeakSeconds).toBeLessThanOrEqual(row.totalSeconds);
    }
    // Both traces share the reverse process: the same steps and seconds, and DDPM's last step lands on its prediction.
    for (let i = 0; i < study.rows.length; i += 2) {
      const [xt, x0] = [study.rows[i], study.rows[i + 1]];
      expect(x0.totalSeconds).toBe(xt.totalSeconds);
      expect(x0.finalSsim).toBeCloseTo(xt.finalSsim, 4);
    }
    // More noise leaves less to recover.
    expect(study.baseline.map((b: { noiseStep: number }) => b.noiseStep)).toEqual([10, 30]);
    expect(study.baseline[0].ssim).toBeGreaterThan(study.baseline[1].ssim);
    const files = fs.readdirSync(report).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'denoise-study.json',
        'denoise-study.md',
        'denoise-study-ssim.png',
        'denoise-study-lpips.png',
        'denoise-study-best.png',
      ]),
    );
    expect(fs.readFileSync(path.join(report, 'denoise-study-ssim.png')).subarray(1, 4).toString()).toBe('PNG');
    const markdown = fs.readFileSync(path.join(report, 'denoise-study.md'), 'utf8');
    expect(markdown).toContain('| denoiser | noise step | trace | best SSIM ↑ |');
    expect(markdown).toContain('![SSIM along the reverse process](denoise-study-ssim.png)');
  });

  it('gives every denoiser the same noisy images, and a TorchScript denoiser works beside a checkpoint', async () => {
    const images = loadMnistPackage(20);
    using clean = tensor(images.data.slice(0, 2 * 784), [2, 1, 28, 28]);
    using script = jit.load(path.join(ROOT, 'test', 'fixtures', 'tiny_denoiser.pt'));
    const study = await evaluate.denoiseStudy(
      [
        { name: 'a', denoiser: script },
        { name: 'b', denoiser: script },
      ],
      clean,
      { noiseSteps: [5], baseline: false },
    );
    const [a, aPredicted, b, bPredicted] = study.rows;
    expect(a.bestSsim).toBe(b.bestSsim);
    expect(a.ssimPeakT).toBe(b.ssimPeakT);
    expect(aPredicted.bestSsim).toBe(bPredicted.bestSsim);
    expect(study.lpips).toBe(false);
    expect(a.bestLpips).toBeNull();
    await expect(evaluate.denoiseStudy([], clean)).rejects.toThrow('at least one denoiser');
  });

  it('says what is missing', () => {
    const none = runCliSync(['eval', 'denoise-study']);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('needs at least one --checkpoint NAME=DIR or --torchscript NAME=FILE');
    const noData = runCliSync([
      'eval',
      'denoise-study',
      '--torchscript',
      path.join(ROOT, 'test', 'fixtures', 'tiny_denoiser.pt'),
    ]);
    expect(noData.status).toBe(1);
    expect(noData.stderr).toContain('needs --data SOURCE');
  });
});

describe('the efficiency table', () => {
  it('reports params, GFLOPs, memory and seconds per sample for presets and checkpoints', () => {
    const report = path.join(dir, 'efficiency');
    const result = runCliJson([
      'eval',
      'efficiency',
      '--preset',
      'unet-mnist',
      '--checkpoint',
      `trained=${checkpoints['cunet-mnist']}`,
      '--batch',
      '1',
      '--steps',
      '3',
      '--report',
      report,
      '--json',
    ]);
    expect(result.rows.map((r: { name: string; preset: string }) => [r.name, r.preset])).toEqual([
      ['unet-mnist', 'unet-mnist'],
      ['trained', 'cunet-mnist'],
    ]);
    for (const row of result.rows) {
      expect(row.parameters).toBeGreaterThan(1000);
      expect(row.gflops).toBeGreaterThan(0);
      expect(row.steps).toBe(3);
      expect(row.secondsPerSample).toBeGreaterThan(0);
      expect(row.msPerStep).toBeCloseTo((row.secondsPerSample / 3) * 1000, 0);
    }
    expect(fs.existsSync(path.join(report, 'efficiency-costs.png'))).toBe(true);
    expect(fs.readFileSync(path.join(report, 'efficiency.md'), 'utf8')).toContain('| model | preset |');
  });
});

describe('eval from the command line', () => {
  it('reads real digits as digits, samples a checkpoint with its own or the given DDIM eta, and is seeded', () => {
    const real = runCliJson(['eval', 'digits', '--images', 'mnist', '--n', '100', '--json']);
    expect(real.n).toBe(100);
    expect(real.share).toBeGreaterThan(0.9);
    expect(real.confident).toBe(Math.round(real.share * 100));
    expect(real.perDigit).toHaveLength(10);
    expect(real.perDigit.reduce((a: number, b: number) => a + b)).toBe(real.confident);
    const drawn = (...flags: string[]) =>
      runCliJson([
        'eval',
        'digits',
        '--images',
        checkpoints['cunet-mnist'],
        '--n',
        '4',
        '--steps',
        '3',
        ...flags,
        '--json',
      ]);
    const deterministic = drawn();
    expect(drawn('--eta', '0').meanTopProbability).toBe(deterministic.meanTopProbability);
    const noisy = drawn('--eta', '1');
    expect(noisy.meanTopProbability).not.toBe(deterministic.meanTopProbability);
    expect(drawn('--eta', '1').meanTopProbability).toBe(noisy.meanTopProbability);
  });

  it('compares image sets with SSIM and PSNR and refuses mismatched sizes', () => {
    const digits = loadMnistPackage(20);
    const a = path.join(dir, 'a.safetensors');
    const b = path.join(dir, 'b.safetensors');
    const small = path.join(dir, 'small.safetensors');
    const noisy = digits.data.slice(0, 4 * 784).map((v, i) => Math.max(-1, Math.min(1, v + 0.2 * Math.sin(i))));
    writeSafetensors(a, { samples: { shape: [4, 1, 28, 28], data: digits.data.slice(0, 4 * 784) } });
    writeSafetensors(b, { samples: { shape: [4, 1, 28, 28], data: noisy } });
    writeSafetensors(small, { samples: { shape: [4, 1, 14, 14], data: new Float32Array(4 * 196) } });
    const same = runCliJson(['eval', 'ssim', '--a', a, '--b', a, '--json']);
    expect(same.perImage).toEqual([1, 1, 1, 1]);
    const differ = runCliJson(['eval', 'ssim', '--a', a, '--b', b, '--json']);
    expect(differ.mean).toBeLessThan(1);
    const psnr = runCliJson(['eval', 'psnr', '--a', a, '--b', b, '--json']);
    expect(psnr.mean).toBeGreaterThan(10);
    const mismatch = runCliSync(['eval', 'ssim', '--a', a, '--b', small]);
    expect(mismatch.status).toBe(1);
    expect(mismatch.stderr).toContain('images of the same shape');
    const noLpips = runCliSync(['eval', 'lpips', '--a', a, '--b', b]);
    expect(noLpips.status).toBe(1);
    expect(noLpips.stderr).toContain('needs --lpips FILE');
    const lp = runCliJson(['eval', 'lpips', '--a', a, '--b', b, '--lpips', TINY_LPIPS, '--json']);
    expect(lp.perImage).toHaveLength(4);
    expect(lp.mean).toBeGreaterThan(0);
  });

  it('measures FID with the bundled MNIST extractor, caches the real statistics, and labels the result', () => {
    const cache = path.join(dir, 'fid-cache');
    const digits = loadMnistPackage(100);
    const same = path.join(dir, 'same.safetensors');
    writeSafetensors(same, { samples: { shape: [100, 1, 28, 28], data: digits.data.slice(0, 100 * 784) } });
    const fid = ['eval', 'fid', '--real', 'mnist'];
    const first = runCliJson([...fid, '--fake', same, '--n', '100', '--cache', cache, '--json']);
    expect(first.extractor).toBe('missing-u-mnist-features-v1');
    expect(first.realStatsCached).toBe(false);
    expect(Math.abs(first.fid)).toBeLessThan(1e-3);
    const fake = checkpoints['cunet-mnist'];
    const generated = runCliJson([...fid, '--fake', fake, '--n', '100', '--steps', '3', '--cache', cache, '--json']);
    expect(generated.realStatsCached).toBe(true);
    expect(generated.fid).toBeGreaterThan(first.fid + 1);
    const missing = runCliSync([...fid, '--fake', same, '--extractor', path.join(dir, 'none.pt')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('feature extractor');
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    const noImages = runCliSync([...fid, '--fake', empty]);
    expect(noImages.status).toBe(1);
    expect(noImages.stderr).toContain('holds no .png');
  });
});

describe('report pieces', () => {
  it('render Markdown tables and Vega-Lite charts, and blur as the baseline says', async () => {
    expect(
      markdownTable(
        [{ a: 1.23456, b: 'x|y' }],
        [
          { title: 'A', value: (r) => r.a, digits: 2 },
          { title: 'B', value: (r) => r.b },
        ],
      ),
    ).toBe('| A | B |\n| --- | --- |\n| 1.23 | x\\|y |\n');
    const svg = await chartSvg({
      kind: 'line',
      title: 'a title',
      rows: [
        { x: 0, y: 1, s: 'm' },
        { x: 1, y: 2, s: 'm' },
      ],
      x: { field: 'x', title: 'x axis' },
      y: { field: 'y', title: 'y axis' },
      series: 's',
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('a title');
    using flat = tensor(new Float32Array(25).fill(0.5), [1, 1, 5, 5]);
    using blurred = gaussianBlur(flat, 1.5);
    expect(Array.from(blurred.toFloat32Array()).every((v) => Math.abs(v - 0.5) < 1e-6)).toBe(true);
  });
});
