import type { ChartRow, LineChart } from '../report/chart';
import { markdownTable } from '../report/markdown';
import type { Report } from '../report/write-report';
import { cellSetting, type FidSpreadCell } from './fid-spread';

const seedList = (seeds: Array<number | null>) => seeds.map((s) => (s === null ? '?' : String(s))).join(',');

/** Mean FID against `field` on a log axis, one line per denoiser and sampler. */
function fidAgainst(points: ChartRow[], field: string, title: string): LineChart {
  return {
    kind: 'line',
    title: `FID against ${title}`,
    rows: points,
    x: { field, title, log: true },
    y: { field: 'fid', title: 'mean FID' },
    series: 'line',
  };
}

/**
 * FID over several runs (training seeds x x_T seeds) as JSON, a Markdown table of each cell's mean with
 * its lowest and highest run, and plots of the mean FID against NFE and, where a side-by-side timing was
 * given, against seconds per sample.
 */
export function fidSpreadReport(cells: FidSpreadCell[], sources: string[]): Report {
  const table = markdownTable(cells, [
    { title: 'denoiser', value: (c) => c.denoiser },
    { title: 'reverse process', value: cellSetting },
    { title: 'NFE', value: (c) => (c.nfe.min === c.nfe.max ? c.nfe.mean : c.nfe.mean.toFixed(1)) },
    { title: 'FID ↓ (mean)', value: (c) => c.fid.mean, digits: 1 },
    { title: 'min – max', value: (c) => (c.runs > 1 ? `${c.fid.min.toFixed(1)} – ${c.fid.max.toFixed(1)}` : '') },
    { title: 'runs', value: (c) => c.runs },
    { title: 'training seeds', value: (c) => seedList(c.trainingSeeds) },
    { title: 'x_T seeds', value: (c) => seedList(c.seeds) },
    { title: 's / sample', value: (c) => c.secondsPerSample, digits: 4 },
  ]);
  const points = (withTime: boolean): ChartRow[] =>
    cells
      .filter((c) => !withTime || c.secondsPerSample !== null)
      .map((c) => ({
        line: `${c.denoiser}, ${c.sampler}${c.ode ? '' : ` ${c.spacing}`}`,
        nfe: c.nfe.mean,
        fid: c.fid.mean,
        secondsPerSample: c.secondsPerSample,
      }));
  const timed = cells.some((c) => c.secondsPerSample !== null);
  const first = cells[0];
  const setup = first
    ? `${first.n} samples per run, ${first.precision}, FID with ${first.extractor}; ` +
      'each cell is the mean of its runs (training seeds x x_T seeds) with its lowest and highest'
    : 'no cells';
  const time = timed
    ? '; seconds per sample are the mean NFE times each denoiser’s side-by-side time per network evaluation'
    : '';
  return {
    name: 'fid-spread',
    json: { sources, cells },
    markdown: `# FID with its spread over runs\n\n${setup}${time}.\n\n${table}`,
    charts: {
      nfe: fidAgainst(points(false), 'nfe', 'network evaluations per sample (NFE)'),
      ...(timed ? { time: fidAgainst(points(true), 'secondsPerSample', 'seconds per sample') } : {}),
    },
  };
}
