// The 'ode' sampler: the probability-flow ODE of the discrete schedule, solved by missing-u's own ODE
// engine. Checked against the closed form for Gaussian data (gaussian_denoiser{,_x0,_v}.pt), against
// DDIM with every step on a non-linear exact denoiser (mixture_denoiser_s*.pt: two-mode pixels, both
// made by test/fixtures/make_gaussian_denoiser.py), and for its NFE, progress and refusals.
import path from 'node:path';

import {
  denoise,
  jit,
  noiseSchedule,
  randn,
  sample,
  Scheduler,
  type FlowOdeSettings,
  type Objective,
  type ReverseProgress,
  type Sampler,
} from '../lib';
import { maxAbsDifference } from './helpers/compare';
import { missingUError, missingURejection } from './helpers/errors';

const FIXTURES = path.join(__dirname, 'fixtures');
const GAUSSIAN: Record<Objective, string> = {
  eps: 'gaussian_denoiser.pt',
  x0: 'gaussian_denoiser_x0.pt',
  v: 'gaussian_denoiser_v.pt',
};
const SHAPE: [number, number, number] = [1, 8, 8];

interface Run {
  images: Float32Array;
  nfe: number;
  events: ReverseProgress[];
}

async function run(
  file: string,
  opts: { sampler?: Sampler; steps?: number; ode?: Partial<FlowOdeSettings>; objective?: Objective } = {},
): Promise<Run> {
  using denoiser = jit.load(path.join(FIXTURES, file));
  const events: ReverseProgress[] = [];
  using images = await sample(denoiser, {
    n: 2,
    shape: SHAPE,
    schedule: 'linear',
    diffusionSteps: 1000,
    objective: opts.objective ?? 'eps',
    sampler: opts.sampler ?? 'ode',
    steps: opts.steps,
    ode: opts.ode,
    clip: false,
    seed: 0,
    onProgress: (p) => events.push(p),
  });
  return { images: images.toFloat32Array(), nfe: events[events.length - 1].nfe, events };
}

const tolerance = (tol: number) => ({ method: 'dopri5' as const, rtol: tol, atol: tol });

describe("the 'ode' sampler", () => {
  it('lands on the closed form for Gaussian data, for eps, x0 and v models', async () => {
    // For x_0 ~ N(0, s^2) the ODE scales x by sqrt(alpha^2 s^2 + sigma^2) from t = 1 (step 999) down to
    // epsilon = 1e-3 (step 0); the last evaluation's clean image is alpha_0 s^2 / (alpha_0^2 s^2 + sigma_0^2) x.
    const abar = noiseSchedule('linear', 1000).alphasCumprod;
    const spread = (a: number) => Math.sqrt(a * 0.25 + 1 - a);
    const gain = (Math.sqrt(abar[0]) * 0.25) / (spread(abar[0]) * spread(abar[999]));
    using xT = randn([2, ...SHAPE], 0);
    const exact = xT.toFloat32Array().map((v) => v * gain);
    const scale = Math.max(...exact.map(Math.abs));
    for (const objective of ['eps', 'x0', 'v'] as const) {
      const { images } = await run(GAUSSIAN[objective], { objective, ode: tolerance(1e-5) });
      // The network is evaluated at the nearest of the T steps: a piecewise-constant field in t, whose
      // O(1/T) error bounds the agreement (measured: about 1e-3 relative).
      expect(maxAbsDifference(images, exact) / scale).toBeLessThan(3e-3);
    }
  });

  it('converges to DDIM with every step as its tolerance tightens: both discretise the same ODE', async () => {
    const file = 'mixture_denoiser_s20.pt';
    const { images: ddim } = await run(file, { sampler: 'ddim', steps: 1000 });
    const { images: coarseDdim } = await run(file, { sampler: 'ddim', steps: 50 });
    const loose = maxAbsDifference((await run(file, { ode: tolerance(1e-2) })).images, ddim);
    const tight = maxAbsDifference((await run(file, { ode: tolerance(1e-5) })).images, ddim);
    expect(tight).toBeLessThan(loose / 4);
    // What is left is DDIM's own O(1/T) discretisation error, below that of DDIM with 50 steps.
    expect(tight).toBeLessThan(maxAbsDifference(coarseDdim, ddim));
    expect(tight).toBeLessThan(1e-2);
  });

  it("takes fewer network evaluations with dopri5 the smoother the data's score", async () => {
    const nfe = async (file: string) => (await run(file, { ode: tolerance(1e-4) })).nfe;
    const smooth = await nfe('mixture_denoiser_s50.pt');
    const middle = await nfe('mixture_denoiser_s20.pt');
    const rough = await nfe('mixture_denoiser_s05.pt');
    expect(smooth).toBeLessThan(middle);
    expect(middle).toBeLessThan(rough);
  });

  it('counts the evaluations of fixed-step methods exactly, and reports NFE in every progress event', async () => {
    const expected: Array<[FlowOdeSettings['method'], number, number]> = [
      ['euler', 10, 11],
      ['midpoint', 10, 21],
      ['rk4', 5, 21],
    ];
    for (const [method, steps, evaluations] of expected) {
      const { nfe, events } = await run('mixture_denoiser_s50.pt', { ode: { method, steps } });
      expect(nfe).toBe(evaluations);
      expect(events.map((e) => e.nfe)).toEqual(Array.from({ length: evaluations }, (_, i) => i + 1));
      expect(events.every((e, i) => i === 0 || e.step >= events[i - 1].step)).toBe(true);
      expect(events[events.length - 1]).toMatchObject({ step: 1000, total: 1000 });
    }
  });

  it('takes its solver from the checkpoint-style defaults and stops at epsilon', async () => {
    // One step of Euler from t = 1 to epsilon, then the clean image: two evaluations.
    const { nfe } = await run('gaussian_denoiser.pt', { ode: { method: 'euler', steps: 1, epsilon: 0.5 } });
    expect(nfe).toBe(2);
  });

  it('stops when aborted', async () => {
    using denoiser = jit.load(path.join(FIXTURES, 'mixture_denoiser_s05.pt'));
    const controller = new AbortController();
    await expect(
      sample(denoiser, {
        n: 2,
        shape: SHAPE,
        sampler: 'ode',
        ode: tolerance(1e-6),
        onProgress: (p) => {
          if (p.nfe === 5) controller.abort();
        },
        signal: controller.signal,
      }),
    ).rejects.toThrow(/abort/i);
  });

  it('refuses what it cannot do, naming the option', async () => {
    using denoiser = jit.load(path.join(FIXTURES, 'gaussian_denoiser.pt'));
    const options = { n: 1, shape: SHAPE, sampler: 'ode' as const };
    expect((await missingURejection(sample(denoiser, { ...options, ode: { method: 'rk4' } }))).message).toMatch(
      /ode\.steps/,
    );
    await expect(sample(denoiser, { ...options, ode: { epsilon: 1.5 } })).rejects.toThrow(/ode\.epsilon must be in/);
    expect(missingUError(() => new Scheduler({ sampler: 'ode' })).message).toMatch(/no single steps/);
    using x0 = randn([1, ...SHAPE], 1);
    const traced = await missingURejection(denoise(denoiser, x0, { noiseStep: 10, sampler: 'ode' }));
    expect(traced.message).toMatch(/no reverse steps/);
  });
});
