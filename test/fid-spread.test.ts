import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { fidSpread } from '../lib/eval/fid-spread';
import type { FidStepsRow } from '../lib';
import { runCli } from './helpers/cli-run';

const TINY_DENOISER = path.join(__dirname, 'fixtures', 'tiny_denoiser.pt');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-fid-spread-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function row(denoiser: string, trainingSeed: number, seed: number, fid: number, over: Partial<FidStepsRow> = {}) {
  const base: FidStepsRow = {
    denoiser,
    checkpoint: `runs/${denoiser}-${trainingSeed}`,
    sampler: 'ddim',
    steps: 10,
    spacing: 'official',
    nfe: 10,
    ode: null,
    precision: 'bf16',
    trainingSeed,
    n: 2000,
    seed,
    fid,
    secondsPerSample: 0.5,
    extractor: 'missing-u-mnist-features-v1',
  };
  return { ...base, ...over };
}

const dopri5 = (rtol: number) => ({ method: 'dopri5' as const, rtol, atol: rtol, epsilon: 1e-3, maxSteps: 10000 });

describe('eval.fidSpread', () => {
  it('gives each cell the mean of its runs with the lowest and highest, in the order cells first appear', () => {
    const rows = [
      row('a', 0, 0, 10),
      row('a', 0, 0, 30, { steps: 5, nfe: 5 }),
      row('a', 1, 0, 14),
      row('b', 0, 0, 50),
      row('a', 2, 1, 12),
      row('a', 0, 1, 16),
    ];
    const cells = fidSpread(rows, { msPerStep: { a: 2 } });
    expect(cells.map((c) => `${c.denoiser}@${c.steps}`)).toEqual(['a@10', 'a@5', 'b@10']);
    expect(cells[0]).toMatchObject({
      runs: 4,
      trainingSeeds: [0, 1, 2],
      seeds: [0, 1],
      fid: { mean: 13, min: 10, max: 16 },
      nfe: { mean: 10, min: 10, max: 10 },
      // 10 evaluations at 2 ms each; the FID runs' own 0.5 s per sample is not used.
      secondsPerSample: 0.02,
    });
    expect(cells[1]).toMatchObject({ runs: 1, fid: { mean: 30, min: 30, max: 30 }, secondsPerSample: 0.01 });
    expect(cells[2]).toMatchObject({ runs: 1, secondsPerSample: null });
  });

  it('keeps apart what is not a seed: sampler, spacing, precision, n and the ODE solver', () => {
    const rows = [
      row('a', 0, 0, 10),
      row('a', 0, 0, 11, { spacing: 'improved' }),
      row('a', 0, 0, 12, { sampler: 'dpmpp-2m' }),
      row('a', 0, 0, 13, { precision: 'fp32' }),
      row('a', 0, 0, 14, { n: 1000 }),
      row('a', 0, 0, 20, { sampler: 'ode', steps: 44, nfe: 44, ode: dopri5(1e-3) }),
      row('a', 1, 0, 22, { sampler: 'ode', steps: 50, nfe: 50, ode: dopri5(1e-3) }),
      row('a', 0, 0, 18, { sampler: 'ode', steps: 80, nfe: 80, ode: dopri5(1e-4) }),
    ];
    const cells = fidSpread(rows);
    expect(cells).toHaveLength(7);
    // ODE rows of one solver are one cell though their NFE differ; its NFE is a spread too.
    expect(cells[5]).toMatchObject({ steps: 0, runs: 2, nfe: { mean: 47, min: 44, max: 50 }, fid: { mean: 21 } });
    expect(cells[6]).toMatchObject({ runs: 1, nfe: { mean: 80 } });
  });

  it('refuses a run given twice, and no rows', () => {
    expect(() => fidSpread([row('a', 0, 0, 10), row('a', 1, 0, 11), row('a', 0, 0, 10)])).toThrow(
      "eval.fidSpread: two rows of the same run (a, ddim official 10 steps, training seed 0, x_T seed 0): give each run's fid-steps result once",
    );
    expect(() => fidSpread([])).toThrow('eval.fidSpread needs at least one fid-steps row');
  });
});

describe('eval fid-spread', () => {
  it('merges fid-steps results of two x_T seeds into cells whose mean is the mean of their rows', async () => {
    const cache = path.join(dir, 'stats');
    const results: string[] = [];
    const rows: FidStepsRow[] = [];
    for (const seed of [0, 1]) {
      const args = ['eval', 'fid-steps', '--torchscript', `tiny=${TINY_DENOISER}`, '--shape', '1,28,28'];
      args.push('--steps', '2,3', '--spacing', 'official', '--n', '24', '--seed', String(seed), '--cache', cache);
      const run = await runCli([...args, '--json']);
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
      const file = path.join(dir, `seed${seed}.json`);
      fs.writeFileSync(file, run.stdout);
      results.push(file);
      rows.push(...(JSON.parse(run.stdout) as { rows: FidStepsRow[] }).rows);
    }
    const timing = path.join(dir, 'timing.json');
    fs.writeFileSync(timing, JSON.stringify({ machine: {}, rows: [{ name: 'tiny', msPerStep: 1.5 }] }));
    const report = path.join(dir, 'report');
    const run = await runCli(['eval', 'fid-spread', ...results, '--timing', timing, '--report', report, '--json']);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const { cells } = JSON.parse(run.stdout) as { cells: ReturnType<typeof fidSpread> };
    expect(cells.map((c) => [c.steps, c.runs, c.seeds])).toEqual([
      [2, 2, [0, 1]],
      [3, 2, [0, 1]],
    ]);
    for (const cell of cells) {
      const own = rows.filter((r) => r.steps === cell.steps).map((r) => r.fid);
      expect(cell.fid.mean).toBeCloseTo((own[0] + own[1]) / 2, 10);
      expect(cell.fid.min).toBe(Math.min(...own));
      expect(cell.secondsPerSample).toBeCloseTo((cell.steps * 1.5) / 1000, 12);
    }
    const markdown = fs.readFileSync(path.join(report, 'fid-spread.md'), 'utf8');
    expect(markdown).toContain('| tiny | ddim official 2 steps | 2 |');
    expect(fs.existsSync(path.join(report, 'fid-spread-nfe.png'))).toBe(true);
    expect(fs.existsSync(path.join(report, 'fid-spread-time.png'))).toBe(true);
  });

  it('says what is wrong with a file that is not a fid-steps result', async () => {
    const old = path.join(dir, 'old.json');
    fs.writeFileSync(old, JSON.stringify({ rows: [{ denoiser: 'a', steps: 5, fid: 3 }] }));
    const run = await runCli(['eval', 'fid-spread', old]);
    expect(run.code).toBe(1);
    // The first three problems by their path (the words after each are zod's), then how many more.
    expect(run.stderr).toContain(`${old} is not an eval fid-steps --json result of this version: rows.0.checkpoint: `);
    expect(run.stderr).toContain('(and 8 more)');
    expect(run.stderr).toContain('Run eval fid-steps again with --json (or --report) to make one');
    const missing = await runCli(['eval', 'fid-spread', path.join(dir, 'none.json')]);
    expect(missing.stderr).toContain('none.json does not exist: give a fid-steps JSON file (eval fid-steps --json)');
  });
});
