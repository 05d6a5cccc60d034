// DPM-Solver++(2M) against diffusers' DPMSolverMultistepScheduler (test/fixtures/make_dpm_reference.py
// ran it on gaussian_denoiser{,_x0,_v}.pt, the exact eps, x0 and v predictions for N(0, 0.25 I) data).
import fs from 'node:fs';
import path from 'node:path';

import { jit, noiseSchedule, randn, sample, type Objective, type Spacing } from '../lib';
import { maxAbsDifference } from './helpers/compare';

const FIXTURES = path.join(__dirname, 'fixtures');
const FILES: Record<Objective, string> = {
  eps: 'gaussian_denoiser.pt',
  x0: 'gaussian_denoiser_x0.pt',
  v: 'gaussian_denoiser_v.pt',
};

interface Run {
  objective: Objective;
  spacing: Spacing;
  steps: number;
  data: number[];
}
const runs: Run[] = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'dpm_reference.json'), 'utf8')).runs;

async function dpm(objective: Objective, spacing: Spacing, steps: number, sampler: 'dpmpp-2m' | 'ddim' = 'dpmpp-2m') {
  using denoiser = jit.load(path.join(FIXTURES, FILES[objective]));
  using images = await sample(denoiser, {
    n: 2,
    shape: [1, 8, 8],
    schedule: 'linear',
    diffusionSteps: 1000,
    objective,
    sampler,
    steps,
    spacing,
    clip: false,
    seed: 0,
  });
  return images.toFloat32Array();
}

describe('DPM-Solver++(2M)', () => {
  it.each(runs.map((run): [Objective, Spacing, number, Run] => [run.objective, run.spacing, run.steps, run]))(
    "matches diffusers' multistep scheduler: %s model, '%s' spacing, %d steps",
    async (objective, spacing, steps, run) => {
      // diffusers keeps the schedule in float32; the largest gaps come where x_0 = (x - sigma eps) / alpha
      // divides by alpha_999 = 0.0064.
      expect(maxAbsDifference(await dpm(objective, spacing, steps), Float32Array.from(run.data))).toBeLessThan(5e-5);
    },
  );

  it('is second order: doubling the steps cuts its error about four times, DDIM’s about two', async () => {
    // For N(0, s^2) data the probability-flow ODE carries x_T to s x_T / sqrt(abar_T s^2 + 1 - abar_T).
    const abarT = noiseSchedule('linear', 1000).alphasCumprod[999];
    using xT = randn([2, 1, 8, 8], 0);
    const exact = xT.toFloat32Array().map((v) => (0.5 * v) / Math.sqrt(abarT * 0.25 + 1 - abarT));
    const error = async (sampler: 'dpmpp-2m' | 'ddim', steps: number) =>
      maxAbsDifference(await dpm('eps', 'improved', steps, sampler), exact);
    const dpmRatio = (await error('dpmpp-2m', 40)) / (await error('dpmpp-2m', 80));
    const ddimRatio = (await error('ddim', 40)) / (await error('ddim', 80));
    expect(dpmRatio).toBeGreaterThan(3);
    expect(ddimRatio).toBeLessThan(2.5);
  });
});
