// Timestep spacing against the code that defines each grid: test/fixtures/make_spacing_references.py
// ran the official code's ddim_sample and diffusers' DDIMScheduler for every step count at T = 1000,
// and sampled gaussian_denoiser.pt (the exact noise prediction for N(0, 0.25 I) data) with each.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { jit, sample, Scheduler, type Spacing } from '../lib';
import { maxAbsDifference } from './helpers/compare';
import { missingUError } from './helpers/errors';

const FIXTURES = path.join(__dirname, 'fixtures');
const reference = JSON.parse(
  zlib.gunzipSync(fs.readFileSync(path.join(FIXTURES, 'spacing_reference.json.gz'))).toString(),
);
const grids: Record<string, Record<string, Array<[number, number]>>> = reference.grids;

interface Run {
  spacing: Spacing;
  steps: number;
  data: number[];
}

/** What a Scheduler of `steps` steps visits and where each step lands. */
function schedulerGrid(spacing: Spacing, steps: number): Array<[number, number]> {
  using scheduler = new Scheduler({ steps, spacing });
  return scheduler.timesteps.map((t) => [t, scheduler.previousTimestep(t)]);
}

describe('timestep spacing', () => {
  it.each(['official', 'leading', 'trailing', 'linspace'] as const)(
    "'%s' visits the steps its source does and lands where it does, for every step count 1..1000",
    (spacing) => {
      const wrong: number[] = [];
      let overshoots = 0;
      for (let n = 1; n <= 1000; n++) {
        let expected = grids[spacing][String(n)];
        // numpy's arange gives diffusers' 'trailing' an (n + 1)-th step at t = -1 for some n; kept out.
        if (spacing === 'trailing' && expected.length === n + 1) {
          expect(expected[n]).toEqual([-1, -1]);
          expected = expected.slice(0, n);
          overshoots += 1;
        }
        if (JSON.stringify(schedulerGrid(spacing, n)) !== JSON.stringify(expected)) wrong.push(n);
      }
      expect(wrong).toEqual([]);
      if (spacing === 'trailing') expect(overshoots).toBeGreaterThan(0);
    },
  );

  it("'official' is the grid of the paper's code: at 5 steps t = 999, 799, 599, 399, 199, then x0", () => {
    expect(schedulerGrid('official', 5)).toEqual([
      [999, 799],
      [799, 599],
      [599, 399],
      [399, 199],
      [199, -1],
    ]);
    expect(schedulerGrid('improved', 5).map(([t]) => t)).toEqual([999, 749, 500, 250, 0]);
  });

  const runs: Array<[Spacing, number, Run]> = (reference.runs as Run[]).map((run) => [run.spacing, run.steps, run]);
  it.each(runs)("DDIM with '%s' spacing at %d steps samples what its source samples", async (spacing, steps, run) => {
    using denoiser = jit.load(path.join(FIXTURES, 'gaussian_denoiser.pt'));
    using images = await sample(denoiser, {
      n: 2,
      shape: [1, 8, 8],
      schedule: 'linear',
      diffusionSteps: 1000,
      objective: 'eps',
      sampler: 'ddim',
      eta: 0,
      steps,
      spacing,
      seed: 0,
    });
    // The sources keep the schedule in float32 (the official code's buffers, diffusers' betas);
    // missing-u keeps it in float64.
    expect(maxAbsDifference(images.toFloat32Array(), Float32Array.from(run.data))).toBeLessThan(1e-5);
  });

  it('is one of the names it knows', () => {
    expect(missingUError(() => new Scheduler({ steps: 5, spacing: 'uniform' as Spacing })).message).toBe(
      "unknown timestep spacing 'uniform': use improved, official, leading, trailing or linspace",
    );
  });
});
