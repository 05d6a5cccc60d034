// missing-u's diffusion formulas against PyTorch: test/fixtures/make_diffusion_references.py computes
// them in float64 from their sources (improved-diffusion, lucidrains, the DDIM paper) and these
// tests compare the native code to 1e-6.
import fs from 'node:fs';
import path from 'node:path';

import {
  Scheduler,
  jit,
  lossWeights,
  noiseSchedule,
  ode,
  tensor,
  trainingTarget,
  type Objective,
  type Sampler,
  type Schedule,
} from '../lib';
import { native } from '../lib/native';
import { maxAbsDifference, maxRelativeDifference } from './helpers/compare';

const FIXTURES = path.join(__dirname, 'fixtures');
const read = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
const ref = read('diffusion_reference.json');
const respacing = read('respacing_reference.json');
const TOL = 1e-6;

interface Stored {
  shape: number[];
  data: number[];
}
const fromRef = (r: Stored) => tensor(Float32Array.from(r.data), r.shape);
const steps = (values: number[]) => tensor(Float32Array.from(values), [values.length]);

describe('schedules match PyTorch exactly', () => {
  it.each(['linear', 'cosine', 'sigmoid'] as const)('%s at T = 1000 (probes) and T = 20 (every step)', (kind) => {
    const expected = ref.schedules[kind];
    const big = noiseSchedule(kind, 1000);
    const probes: number[] = expected.T1000.t;
    expect(
      maxAbsDifference(
        probes.map((t) => big.betas[t]),
        expected.T1000.betas,
      ),
    ).toBeLessThan(TOL);
    expect(
      maxAbsDifference(
        probes.map((t) => big.alphasCumprod[t]),
        expected.T1000.alphasCumprod,
      ),
    ).toBeLessThan(TOL);
    const small = noiseSchedule(kind, 20);
    expect(maxAbsDifference(small.betas, expected.T20.betas)).toBeLessThan(TOL);
    expect(maxAbsDifference(small.alphasCumprod, expected.T20.alphasCumprod)).toBeLessThan(TOL);
  });
});

describe('objectives and loss weights', () => {
  it.each(['eps', 'x0', 'v'] as const)('the %s training target', (objective) => {
    using x0 = fromRef(ref.x0);
    using noise = fromRef(ref.noise);
    using t = steps(ref.targets.t);
    using out = trainingTarget(x0, noise, t, { objective });
    expect(maxAbsDifference(out.toFloat32Array(), ref.targets[objective])).toBeLessThan(TOL);
  });

  it('SNR weights (snr / (snr + 1) for v, snr for x0, 1 for eps) with and without Min-SNR', () => {
    using t = steps(ref.weights.t);
    for (const c of ref.weights.cases as Array<{
      schedule: Schedule;
      objective: Objective;
      minSnrGamma: number;
      weights: number[];
    }>) {
      const got = lossWeights(t, {
        schedule: c.schedule,
        objective: c.objective,
        minSnrGamma: c.minSnrGamma,
        snrWeighting: true,
      });
      const worst = maxRelativeDifference(got, c.weights);
      expect({ ...c, worst: worst < TOL }).toEqual({ ...c, worst: true });
    }
    expect(Array.from(lossWeights(t, { objective: 'v' }))).toEqual(ref.weights.t.map(() => 1));
  });
});

describe('sampler updates', () => {
  interface Update {
    options: { sampler: Sampler; eta?: number; variance?: 'fixedlarge' | 'fixedsmall' };
    prev: number[];
  }
  interface Case {
    schedule: Schedule;
    objective: Objective;
    clip: boolean;
    t: number;
    tPrev: number;
    x0: number[];
    updates: Update[];
  }

  it('DDPM fixedlarge / fixedsmall and DDIM eta 0 / 0.7, every objective, clipped or not, match to 1e-6', () => {
    using xt = fromRef(ref.xt);
    using output = fromRef(ref.output);
    using noise = fromRef(ref.stepNoise);
    const cases = ref.steps as Case[];
    expect(cases.flatMap((c) => c.updates)).toHaveLength(240);
    for (const c of cases) {
      for (const u of c.updates) {
        const options = {
          schedule: c.schedule,
          diffusionSteps: 1000,
          objective: c.objective,
          clip: c.clip,
          eta: 0,
          spacing: 'improved',
          variance: 'fixedlarge',
          ...u.options,
        };
        const out = native.diffusionStep(output, c.t, c.tPrev, xt, noise, undefined, options, undefined);
        const label = { ...options, t: c.t, tPrev: c.tPrev };
        // Relative above 1: an unclipped x_0 at t = 999 is x_t / sqrt(abar), thousands for the cosine schedule.
        expect({ ...label, prev: maxRelativeDifference(out.prev.toFloat32Array(), u.prev) < TOL }).toEqual({
          ...label,
          prev: true,
        });
        expect({ ...label, x0: maxRelativeDifference(out.x0.toFloat32Array(), c.x0) < TOL }).toEqual({
          ...label,
          x0: true,
        });
        out.prev.dispose();
        out.x0.dispose();
      }
    }
  });
});

describe('respacing', () => {
  const T = respacing.T as number;
  const weighted = (list: number[]) => list.reduce((s, t, i) => s + (i + 1) * t, 0);

  it("picks improved-diffusion's space_timesteps for all 1000 counts at T = 1000", () => {
    const wrong: number[] = [];
    for (let count = 1; count <= T; count++) {
      using scheduler = new Scheduler({ steps: count, diffusionSteps: T });
      const list = [...scheduler.timesteps].reverse();
      const sum = list.reduce((s, t) => s + t, 0);
      const i = count - 1;
      if (
        list.length !== respacing.lengths[i] ||
        sum !== respacing.sums[i] ||
        weighted(list) !== respacing.weightedSums[i] ||
        list.some((t, j) => j > 0 && t <= list[j - 1])
      ) {
        wrong.push(count);
      }
    }
    expect(wrong).toEqual([]);
    for (const [count, list] of Object.entries(respacing.lists as Record<string, number[]>)) {
      expect([...new Scheduler({ steps: Number(count) }).timesteps].reverse()).toEqual(list);
    }
  });

  it('takes step 0 alone for one step (not T - 1)', () => {
    using scheduler = new Scheduler({ steps: 1 });
    expect(scheduler.timesteps).toEqual([0]);
  });
});

describe('ODE', () => {
  it('one 3/8-rule RK4 step of a TorchScript field matches PyTorch to 1e-6', async () => {
    const r = ref.rk4_38;
    using f = jit.load(path.join(FIXTURES, r.module));
    using z0 = fromRef(r.z0);
    const { z } = await ode.solveFirstOrder({ f, z0, s0: r.s0, s1: r.s1, method: 'rk4-3/8', steps: r.steps });
    expect(maxAbsDifference(z.toFloat32Array(), r.z1.data)).toBeLessThan(TOL);
    // Classic RK4 is another method of the same order: it lands elsewhere.
    const classic = await ode.solveFirstOrder({ f, z0, s0: r.s0, s1: r.s1, method: 'rk4', steps: r.steps });
    expect(maxAbsDifference(classic.z.toFloat32Array(), r.z1.data)).toBeGreaterThan(1e-5);
    z.dispose();
    classic.z.dispose();
  });
});
