import type { ChartRow, LineChart } from '../report/chart';
import { markdownTable } from '../report/markdown';
import type { Report } from '../report/write-report';
import type { FlowOdeSettings } from '../schemas/reverse-defaults';
import type { FidStepsResult } from './fid-steps';
import { OPTIMAL_FID_TOLERANCE } from './optimal-steps';

/** Where the real statistics came from, and the machine the seconds were measured on. */
export interface FidStepsContext {
  /** The real images' source (e.g. 'mnist') and the statistics file. */
  real: string;
  realStats: string;
  machine: Record<string, unknown>;
}

/** An 'ode' row's solver in words. */
function odeSolver(ode: FlowOdeSettings): string {
  const run = ode.method === 'dopri5' ? `rtol ${ode.rtol}, atol ${ode.atol}` : `${ode.steps} steps`;
  return `${ode.method}, ${run}, to t = ${ode.epsilon}`;
}

/** FID against `field` on a log axis, one line per denoiser. */
function fidAgainst(points: ChartRow[], field: string, title: string): LineChart {
  const x = { field, title, log: true };
  return {
    kind: 'line',
    title: `FID against ${title}`,
    rows: points,
    x,
    y: { field: 'fid', title: 'FID' },
    series: 'denoiser',
  };
}

/**
 * FID against sampling steps (the paper's table 1) as JSON, Markdown (every row, then each denoiser's
 * optimal steps) and two plots: FID against steps and FID against seconds per sample.
 */
export function fidStepsReport(result: FidStepsResult, context: FidStepsContext): Report {
  const { rows, optimal } = result;
  const { real, realStats, machine } = context;
  const table = markdownTable(rows, [
    { title: 'denoiser', value: (r) => r.denoiser },
    { title: 'sampler', value: (r) => r.sampler },
    { title: 'steps', value: (r) => r.steps },
    { title: 'spacing', value: (r) => r.spacing },
    { title: 'NFE', value: (r) => r.nfe },
    { title: 'ODE solver', value: (r) => (r.ode ? odeSolver(r.ode) : '') },
    { title: 'FID ↓', value: (r) => r.fid, digits: 3 },
    { title: 's / sample', value: (r) => r.secondsPerSample, digits: 4 },
  ]);
  const optimalTable = markdownTable(optimal, [
    { title: 'denoiser', value: (r) => r.denoiser },
    { title: 'optimal steps', value: (r) => r.steps },
    { title: 'FID', value: (r) => r.fid, digits: 3 },
    { title: 's / sample', value: (r) => r.secondsPerSample, digits: 4 },
    { title: 'best FID', value: (r) => r.bestFid, digits: 3 },
  ]);
  const first = rows[0];
  const setup = first
    ? `${first.n} samples per row from seed ${first.seed} (the same x_T for every row), ${first.sampler}, ` +
      `FID against the statistics of ${real} (${realStats}) with ${first.extractor}`
    : 'no rows';
  const machineLine = Object.entries(machine)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
  const points: ChartRow[] = rows.map((r) => ({
    denoiser: r.denoiser,
    nfe: r.nfe,
    fid: r.fid,
    secondsPerSample: r.secondsPerSample,
  }));
  return {
    name: 'fid-steps',
    json: { real, realStats, machine, rows, optimal },
    markdown:
      `# FID against sampling steps\n\n${setup}; seconds per sample are the sampling's wall time divided by ` +
      `the samples, feature extraction left out (${machineLine}).\n\n${table}\n` +
      `## Optimal sampling time\n\nThe fewest steps whose FID is within ${OPTIMAL_FID_TOLERANCE * 100}% of ` +
      `the denoiser's best.\n\n${optimalTable}` +
      '\nFIDs are comparable only between rows with the same extractor and the same n.\n',
    charts: {
      steps: fidAgainst(points, 'nfe', 'network evaluations per sample (NFE)'),
      time: fidAgainst(points, 'secondsPerSample', 'seconds per sample'),
    },
  };
}
