import path from 'node:path';

import { Generator, Scheduler, jit, models, randn, sample, type SampleOptions, type Tensor } from '../lib';

import { missingUError } from './helpers/errors';

const FIXTURES = path.join(__dirname, 'fixtures');

type Net = { forward(x: Tensor, t: Tensor): Promise<Tensor> };

// The loop a user writes with the step-wise scheduler, as with diffusers' schedulers.
async function customLoop(net: Net, shape: number[], opts: SampleOptions): Promise<Tensor> {
  const { n, seed, ...settings } = opts;
  void n;
  using scheduler = new Scheduler({ ...settings, seed });
  let x = scheduler.initialNoise(shape);
  for (const t of scheduler.timesteps) {
    using steps = scheduler.timestep(t, x);
    using prediction = await net.forward(x, steps);
    const { prev, x0 } = scheduler.step(prediction, t, x);
    x0.dispose();
    x.dispose();
    x = prev;
  }
  return x;
}

describe('step-wise scheduler', () => {
  it.each([
    ['ddim eta 0', { sampler: 'ddim', steps: 10 }],
    ['ddim eta 0.5', { sampler: 'ddim', steps: 10, eta: 0.5 }],
    ['ddpm fixedlarge', { sampler: 'ddpm', steps: 12 }],
    ["ddim on diffusers' trailing spacing", { sampler: 'ddim', steps: 7, spacing: 'trailing' }],
    ['dpmpp-2m', { sampler: 'dpmpp-2m', steps: 10 }],
    [
      "dpmpp-2m on diffusers' trailing spacing, x0 objective",
      { sampler: 'dpmpp-2m', steps: 7, spacing: 'trailing', objective: 'x0' },
    ],
    [
      'ddpm fixedsmall, v objective, no clipping',
      { sampler: 'ddpm', steps: 12, variance: 'fixedsmall', objective: 'v', clip: false },
    ],
  ] as Array<[string, Partial<SampleOptions>]>)('a custom loop reproduces sample bit for bit: %s', async (_, opts) => {
    using scripted = jit.load(path.join(FIXTURES, 'tiny_denoiser.pt'));
    using builtin = models.create({ preset: 'unet-mnist', imageSize: 8, seed: 0 });
    for (const [net, shape] of [
      [scripted, [1, 8, 8]],
      [builtin, [1, 8, 8]],
    ] as const) {
      const options: SampleOptions = { n: 2, seed: 5, shape: [...shape] as [number, number, number], ...opts };
      using expected = await sample(net, options);
      const { shape: _shape, ...loopOptions } = options;
      void _shape;
      using got = await customLoop(net, [2, ...shape], loopOptions);
      expect(Array.from(got.toFloat32Array())).toEqual(Array.from(expected.toFloat32Array()));
    }
  });

  it('runs every step by default, descending to 0, and respaces with setTimesteps', () => {
    using scheduler = new Scheduler({ diffusionSteps: 50 });
    expect(scheduler.timesteps).toEqual(Array.from({ length: 50 }, (_, i) => 49 - i));
    expect(scheduler.setTimesteps(4)).toEqual([49, 33, 16, 0]);
    expect(scheduler.previousTimestep(33)).toBe(16);
    expect(scheduler.previousTimestep(0)).toBe(-1);
  });

  it('takes the noise it is given instead of drawing it', () => {
    using scheduler = new Scheduler({ sampler: 'ddpm', steps: 10 });
    using x = randn([1, 1, 4, 4], 1);
    using prediction = randn([1, 1, 4, 4], 2);
    using noise = randn([1, 1, 4, 4], 3);
    const t = scheduler.timesteps[0];
    const a = scheduler.step(prediction, t, x, { noise });
    const b = scheduler.step(prediction, t, x, { noise });
    const c = scheduler.step(prediction, t, x);
    expect(Array.from(a.prev.toFloat32Array())).toEqual(Array.from(b.prev.toFloat32Array()));
    expect(Array.from(a.prev.toFloat32Array())).not.toEqual(Array.from(c.prev.toFloat32Array()));
    expect(Array.from(a.x0.toFloat32Array())).toEqual(Array.from(c.x0.toFloat32Array()));
    for (const out of [a, b, c]) {
      out.prev.dispose();
      out.x0.dispose();
    }
  });

  it('a Generator continues one stream: its first draw is randn(shape, seed)', () => {
    using generator = new Generator(7);
    using first = generator.randn([3, 5]);
    using second = generator.randn([3, 5]);
    using seeded = randn([3, 5], 7);
    expect(Array.from(first.toFloat32Array())).toEqual(Array.from(seeded.toFloat32Array()));
    expect(Array.from(second.toFloat32Array())).not.toEqual(Array.from(seeded.toFloat32Array()));
  });

  it('says what is wrong with a step', () => {
    using scheduler = new Scheduler({ sampler: 'ddim', steps: 5 });
    using x = randn([1, 1, 4, 4], 1);
    using small = randn([1, 1, 2, 2], 1);
    expect(() => scheduler.step(x, 501, x)).toThrow(
      "step: t = 501 is not one of the scheduler's timesteps (see scheduler.timesteps)",
    );
    expect(() => scheduler.step(small, 999, x)).toThrow("step: the model output must have x_t's shape");
    expect(() => scheduler.setTimesteps(0)).toThrow('setTimesteps: count must be an integer >= 1, got 0');
    expect(() => scheduler.setTimesteps(1001)).toThrow('sampling steps must be between 1 and T = 1000, got 1001');
  });

  it('refuses initial noise or randn beyond memory before allocating, naming the call', () => {
    using scheduler = new Scheduler();
    const noise = missingUError(() => scheduler.initialNoise([1e6, 1e6]));
    expect(noise.code).toBe('option');
    expect(noise.message).toMatch(
      /^initialNoise\(shape\) \[1000000, 1000000\] would take 4 TB, more than this machine's/,
    );
    expect(missingUError(() => randn([1e6, 1e6], 0)).message).toMatch(
      /^randn\(shape\) \[1000000, 1000000\] would take/,
    );
  });
});
