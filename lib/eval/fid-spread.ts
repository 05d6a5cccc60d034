import { MissingUError } from '../errors';
import type { Sampler, Spacing } from '../schemas/names';
import type { Precision } from '../schemas/precision';
import type { FlowOdeSettings } from '../schemas/reverse-defaults';
import type { FidStepsRow } from './fid-steps';

/** The mean, the lowest and the highest of a cell's runs. */
export interface Spread {
  mean: number;
  min: number;
  max: number;
}

/**
 * One denoiser at one reverse-process setting over several runs (training seeds x x_T seeds): what
 * differs between its rows is only the seeds.
 */
export interface FidSpreadCell {
  denoiser: string;
  sampler: Sampler;
  spacing: Spacing;
  /** Reverse steps; 0 for the 'ode' sampler, whose cost is `nfe`. */
  steps: number;
  ode: FlowOdeSettings | null;
  precision: Precision;
  n: number;
  extractor: string;
  /** The rows it summarises. */
  runs: number;
  /** The training seeds and x_T seeds among them, ascending (null: a training seed not recorded). */
  trainingSeeds: Array<number | null>;
  seeds: number[];
  fid: Spread;
  nfe: Spread;
  /**
   * The mean NFE times the denoiser's milliseconds per step per image from a side-by-side timing
   * (`timing`), in seconds; null without one. The FID runs' own wall times are not used.
   */
  secondsPerSample: number | null;
}

export interface FidSpreadOptions {
  /** Per denoiser name, milliseconds per network evaluation per image (eval efficiency's msPerStep). */
  msPerStep?: Readonly<Record<string, number>>;
}

function spread(values: number[]): Spread {
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** What makes rows the same cell: everything but the seeds, the checkpoint path and the measurements. */
function cellKey(row: FidStepsRow): string {
  const setting = row.sampler === 'ode' ? JSON.stringify(row.ode) : String(row.steps);
  return JSON.stringify([row.denoiser, row.sampler, row.spacing, setting, row.precision, row.n, row.extractor]);
}

/** A row's or cell's reverse process in words: "ddim official 10 steps", "ode dopri5 rtol 0.001 atol 0.001". */
export function cellSetting(cell: Pick<FidStepsRow, 'sampler' | 'spacing' | 'steps' | 'ode'>): string {
  if (!cell.ode) return `${cell.sampler} ${cell.spacing} ${cell.steps} steps`;
  const run = cell.ode.method === 'dopri5' ? `rtol ${cell.ode.rtol} atol ${cell.ode.atol}` : `${cell.ode.steps} steps`;
  return `ode ${cell.ode.method} ${run}`;
}

function describeRow(row: FidStepsRow): string {
  return `${row.denoiser}, ${cellSetting(row)}, training seed ${row.trainingSeed ?? 'unknown'}, x_T seed ${row.seed}`;
}

/** The distinct values, ascending (null, a seed not recorded, first). */
function ascending<T extends number | null>(values: T[]): T[] {
  return [...new Set(values)].sort((a, b) => (a ?? -Infinity) - (b ?? -Infinity));
}

/**
 * Groups fid-steps rows of several runs into cells (same denoiser, sampler, spacing, step count or ODE
 * solver, precision, n and extractor) and gives each the mean FID with its lowest and highest run, in the
 * order the cells first appear. A row given twice (same cell, training seed and x_T seed) is refused:
 * it would count one run twice.
 */
export function fidSpread(rows: readonly FidStepsRow[], opts: FidSpreadOptions = {}): FidSpreadCell[] {
  if (rows.length === 0) throw new MissingUError('eval.fidSpread needs at least one fid-steps row');
  const cells = new Map<string, FidStepsRow[]>();
  const runs = new Set<string>();
  for (const row of rows) {
    const key = cellKey(row);
    const run = JSON.stringify([key, row.trainingSeed, row.seed]);
    if (runs.has(run)) {
      throw new MissingUError(
        `eval.fidSpread: two rows of the same run (${describeRow(row)}): give each run's fid-steps result once`,
      );
    }
    runs.add(run);
    cells.set(key, [...(cells.get(key) ?? []), row]);
  }
  return [...cells.values()].map((own) => {
    const first = own[0];
    const nfe = spread(own.map((r) => r.nfe));
    const ms = opts.msPerStep?.[first.denoiser];
    return {
      denoiser: first.denoiser,
      sampler: first.sampler,
      spacing: first.spacing,
      steps: first.sampler === 'ode' ? 0 : first.steps,
      ode: first.ode,
      precision: first.precision,
      n: first.n,
      extractor: first.extractor,
      runs: own.length,
      trainingSeeds: ascending(own.map((r) => r.trainingSeed)),
      seeds: ascending(own.map((r) => r.seed)),
      fid: spread(own.map((r) => r.fid)),
      nfe,
      secondsPerSample: ms === undefined ? null : (nfe.mean * ms) / 1000,
    };
  });
}
