import fs from 'node:fs';
import path from 'node:path';

import { denoise, info, jit, models, noiseSchedule, qSample, randn, sample, tensor, type Tensor } from '../lib';
import { disposeStepImages } from '../lib/diffusion';
import { maxAbsDifference } from './helpers/compare';

const FIXTURES = path.join(__dirname, 'fixtures');

describe('schedules', () => {
  it('linear is 1e-4..0.02 over T = 1000 with abar the cumulative product, in float64', () => {
    const { betas, alphasCumprod } = noiseSchedule('linear', 1000);
    expect(betas[0]).toBeCloseTo(1e-4, 15);
    expect(betas[999]).toBeCloseTo(0.02, 15);
    expect(betas[500]).toBeCloseTo(1e-4 + (500 * (0.02 - 1e-4)) / 999, 15);
    let product = 1;
    for (let t = 0; t < 1000; t++) {
      product *= 1 - betas[t];
      expect(alphasCumprod[t]).toBeCloseTo(product, 14);
    }
  });

  it.each(['cosine', 'sigmoid'] as const)('%s decreases abar from ~1 to ~0 with betas in (0, 0.999]', (kind) => {
    const { betas, alphasCumprod } = noiseSchedule(kind, 500);
    expect(alphasCumprod[0]).toBeGreaterThan(0.99);
    expect(alphasCumprod[499]).toBeLessThan(1e-3);
    expect(Array.from(betas).every((b) => b > 0 && b <= 0.999)).toBe(true);
    for (let t = 1; t < 500; t++) expect(alphasCumprod[t]).toBeLessThan(alphasCumprod[t - 1]);
  });

  it('rejects unknown schedules', () => {
    expect(() => noiseSchedule('quadratic' as 'linear')).toThrow(
      "unknown noise schedule 'quadratic': use linear, cosine or sigmoid",
    );
  });
});

describe('forward process', () => {
  it('matches its closed form sqrt(abar) x0 + sqrt(1 - abar) eps', () => {
    const { alphasCumprod } = noiseSchedule('cosine', 1000);
    const x0Data = Float32Array.from({ length: 2 * 16 }, (_, i) => Math.sin(i));
    const noiseData = Float32Array.from({ length: 2 * 16 }, (_, i) => Math.cos(3 * i));
    using x0 = tensor(x0Data, [2, 1, 4, 4]);
    using noise = tensor(noiseData, [2, 1, 4, 4]);
    using t = tensor(new Float32Array([17, 930]), [2]);
    using xt = qSample(x0, t, noise, { schedule: 'cosine' });
    const expected = Array.from(x0Data, (x, i) => {
      const abar = alphasCumprod[i < 16 ? 17 : 930];
      return Math.sqrt(abar) * x + Math.sqrt(1 - abar) * noiseData[i];
    });
    expect(maxAbsDifference(xt.toFloat32Array(), expected)).toBeLessThanOrEqual(1e-6);
  });
});

describe('seeds', () => {
  it('randn(shape, seed) equals torch.manual_seed(seed); torch.randn(shape)', () => {
    const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'randn_seed7.json'), 'utf8'));
    using noise = randn(ref.shape, ref.seed);
    expect(maxAbsDifference(noise.toFloat32Array(), ref.data)).toBeLessThanOrEqual(1e-6);
  });
});

describe('DDIM', () => {
  const f = () => jit.load(path.join(FIXTURES, 'tiny_denoiser.pt'));

  it('with eta = 0 is deterministic and equals the formulas written out here', async () => {
    using model = f();
    const steps = 10;
    const common = { n: 2, shape: [1, 8, 8] as [number, number, number], sampler: 'ddim' as const, steps, seed: 3 };
    using a = await sample(model, common);
    using b = await sample(model, common);
    expect(Array.from(a.toFloat32Array())).toEqual(Array.from(b.toFloat32Array()));

    // Reference: respaced timesteps, x0 = (x - sqrt(1-abar) eps) / sqrt(abar) clipped to [-1, 1],
    // eps recomputed from it, x_prev = sqrt(abar_prev) x0 + sqrt(1 - abar_prev) eps.
    const { alphasCumprod } = noiseSchedule('linear', 1000);
    const timesteps = Array.from({ length: steps }, (_, i) => Math.round((i * 999) / (steps - 1)));
    let x: Float32Array = randn([2, 1, 8, 8], 3).toFloat32Array();
    for (let i = steps - 1; i >= 0; i--) {
      const abar = alphasCumprod[timesteps[i]];
      const abarPrev = i > 0 ? alphasCumprod[timesteps[i - 1]] : 1;
      const xt = tensor(x, [2, 1, 8, 8]);
      const t = tensor(new Float32Array([timesteps[i], timesteps[i]]), [2]);
      const eps = (await model.forward(xt, t)).toFloat32Array();
      x = x.map((xi, j) => {
        const x0 = Math.min(1, Math.max(-1, (xi - Math.sqrt(1 - abar) * eps[j]) / Math.sqrt(abar)));
        const e = (xi - Math.sqrt(abar) * x0) / Math.sqrt(1 - abar);
        return Math.sqrt(abarPrev) * x0 + Math.sqrt(1 - abarPrev) * e;
      });
      xt.dispose();
      t.dispose();
    }
    expect(maxAbsDifference(a.toFloat32Array(), x)).toBeLessThanOrEqual(1e-4);
  });

  it('starts from x_T = randn(shape, seed): an explicit xT gives the same samples', async () => {
    using model = f();
    const common = { n: 2, shape: [1, 8, 8] as [number, number, number], sampler: 'ddim' as const, steps: 5 };
    using fromSeed = await sample(model, { ...common, seed: 11 });
    using xT = randn([2, 1, 8, 8], 11);
    using explicit = await sample(model, { ...common, seed: 999, xT });
    expect(Array.from(fromSeed.toFloat32Array())).toEqual(Array.from(explicit.toFloat32Array()));
  });
});

describe('samplers', () => {
  it.each([
    ['ddpm', { sampler: 'ddpm' as const, steps: 20 }],
    ['ddpm fixedsmall', { sampler: 'ddpm' as const, steps: 20, variance: 'fixedsmall' as const }],
    ['ddim eta 1', { sampler: 'ddim' as const, steps: 20, eta: 1 }],
  ])('%s runs a built-in model and a TorchScript module, reporting every step', async (_, opts) => {
    using builtin = models.create({ preset: 'unet-mnist', imageSize: 16, seed: 0 });
    using scripted = jit.load(path.join(FIXTURES, 'tiny_denoiser.pt'));
    for (const [denoiser, shape] of [
      [builtin, undefined],
      [scripted, [1, 8, 8]],
    ] as const) {
      const seen: number[] = [];
      using x = await sample(denoiser, {
        n: 2,
        seed: 1,
        shape: shape as [number, number, number] | undefined,
        ...opts,
        onProgress: (p) => seen.push(p.step),
      });
      expect(x.shape[0]).toBe(2);
      expect(x.toFloat32Array().every(Number.isFinite)).toBe(true);
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }
  });

  it('stops soon after an abort', async () => {
    // Steps of ~50 ms, so that progress reaches JS long before the next step ends.
    using model = models.create({ preset: 'cunet-paper', seed: 0 });
    const controller = new AbortController();
    let steps = 0;
    let abortedAt = 0;
    const run = sample(model, {
      n: 1,
      steps: 200,
      signal: controller.signal,
      onProgress: (p) => {
        steps = p.step;
        if (p.step === 2) {
          abortedAt = p.step;
          controller.abort();
        }
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    // How many steps the native loop takes before it sees the flag depends on when the event loop ran the
    // progress callback; what holds on any machine is that it stopped, after the abort, long before the end.
    expect(steps).toBeGreaterThanOrEqual(abortedAt);
    expect(steps).toBeLessThan(200);
  });

  it('rejects bad options clearly', async () => {
    using model = models.create({ preset: 'unet-mnist', imageSize: 16 });
    await expect(sample(model, { n: 1, sampler: 'euler' as 'ddim' })).rejects.toThrow(
      "unknown sampler 'euler': use ddpm, ddim, dpmpp-2m or ode",
    );
    await expect(sample(model, { n: 1, steps: 5000 })).rejects.toThrow('sampling steps must be between 1 and T = 1000');
    using scripted = jit.load(path.join(FIXTURES, 'tiny_denoiser.pt'));
    await expect(sample(scripted, { n: 1 })).rejects.toThrow('give shape [C, H, W] for a TorchScript denoiser');
    await expect(sample(model, { n: 1, steps: 2, cudaGraph: true })).rejects.toThrow(
      info().build.cuda === 'yes'
        ? 'cudaGraph needs a denoiser on a CUDA device'
        : 'cudaGraph: true needs the CUDA build of missing-u (npm run build:cuda); this build is CPU-only',
    );
  });
});

describe('denoising', () => {
  const sineImage = () =>
    tensor(
      Float32Array.from({ length: 64 }, (_, i) => Math.sin(i / 5)),
      [1, 1, 8, 8],
    );

  it('noises an image to step t, reverses to 0 and traces every step', async () => {
    using model = jit.load(path.join(FIXTURES, 'tiny_denoiser.pt'));
    using image = sineImage();
    const trace = await denoise(model, image, { noiseStep: 50, sampler: 'ddpm', steps: 51, seed: 4, trace: 'images' });
    expect(trace.steps).toHaveLength(51);
    // Each entry is labelled with the step its reverse step started from: 50 first, 0 once, last.
    expect(trace.steps.map((s) => s.t)).toEqual(Array.from({ length: 51 }, (_, i) => 50 - i));
    for (const step of trace.steps) {
      expect(step.image?.shape).toEqual([1, 1, 8, 8]);
      expect(step.psnr).toBeCloseTo(10 * Math.log10(4 / step.mse), 9);
    }
    // The noisy image is the closed form with the seed's first draw.
    const { alphasCumprod } = noiseSchedule();
    const noise = randn([1, 1, 8, 8], 4).toFloat32Array();
    const clean = image.toFloat32Array();
    const abar = alphasCumprod[50];
    const expected = Array.from(clean, (x, i) => Math.sqrt(abar) * x + Math.sqrt(1 - abar) * noise[i]);
    expect(maxAbsDifference(trace.noisy.toFloat32Array(), expected)).toBeLessThanOrEqual(1e-6);
    trace.steps.forEach(disposeStepImages);
    (trace.noisy as Tensor).dispose();
  });

  it('traces the clean image each step predicted, the closed form of the denoiser’s output', async () => {
    using model = jit.load(path.join(FIXTURES, 'tiny_denoiser.pt'));
    using image = sineImage();
    const trace = await denoise(model, image, { noiseStep: 30, seed: 4, trace: 'images' });
    // The first step's x0-hat from eps: (x_t - sqrt(1 - abar) eps) / sqrt(abar), clipped to [-1, 1].
    const abar = noiseSchedule().alphasCumprod[30];
    using t = tensor(new Float32Array([30]), [1]);
    using eps = await model.forward(trace.noisy, t);
    const xt = trace.noisy.toFloat32Array();
    const expected = Array.from(eps.toFloat32Array(), (e, i) =>
      Math.min(1, Math.max(-1, (xt[i] - Math.sqrt(1 - abar) * e) / Math.sqrt(abar))),
    );
    expect(maxAbsDifference(trace.steps[0].predicted!.toFloat32Array(), expected)).toBeLessThanOrEqual(1e-5);
    const clean = image.toFloat32Array();
    for (const step of trace.steps) {
      const predicted = step.predicted!.toFloat32Array();
      const mse = predicted.reduce((a, v, i) => a + (v - clean[i]) ** 2, 0) / predicted.length;
      expect(step.predictedMse).toBeCloseTo(mse, 6);
      expect(step.predictedPsnr).toBeCloseTo(10 * Math.log10(4 / step.predictedMse), 9);
    }
    // DDPM's last step lands on its own prediction.
    const last = trace.steps.at(-1)!;
    expect(
      maxAbsDifference(last.image!.toFloat32Array(), Array.from(last.predicted!.toFloat32Array())),
    ).toBeLessThanOrEqual(1e-6);
    trace.steps.forEach(disposeStepImages);
    (trace.noisy as Tensor).dispose();
  });
});

describe('broken settings and weights', () => {
  it('steps 0 is refused by name instead of running all T steps', async () => {
    using model = models.create({ preset: 'unet-mnist', imageSize: 8, seed: 0 });
    await expect(sample(model, { n: 1, steps: 0 })).rejects.toThrow(
      'sample: steps must be an integer >= 1, got 0 (leave it out to run all T)',
    );
    using image = tensor(new Float32Array(64), [1, 1, 8, 8]);
    await expect(denoise(model, image, { noiseStep: 10, steps: 0 })).rejects.toThrow(
      'denoise: steps must be an integer >= 1, got 0',
    );
  });

  it('a sample holding NaN is an error, not an all-black image', async () => {
    using model = models.create({ preset: 'unet-mnist', imageSize: 8, seed: 0 });
    using xT = tensor(new Float32Array(64).fill(Number.NaN), [1, 1, 8, 8]);
    await expect(sample(model, { n: 1, steps: 3, xT })).rejects.toThrow(
      "the reverse process produced NaN or Inf values over its 3 steps from t=999 to 0: the model's weights or the diffusion settings are broken",
    );
  });
});
