import { markdownTable } from '../report/markdown';
import type { Report } from '../report/write-report';

export type PairMetric = 'ssim' | 'psnr' | 'lpips';

/** What `eval ssim|psnr|lpips` compared: the two sources and how the metric was computed. */
export interface PairSources {
  a: string;
  b: string;
  /** The LPIPS file (lpips) or the data range (ssim, psnr). */
  lpips?: string;
  dataRange?: number;
}

/** A per-image metric's summary (mean over finite values, min, max) as Markdown, JSON and a per-image line chart. */
export function pairReport(metric: PairMetric, values: ArrayLike<number>, sources: PairSources): Report {
  const list = Array.from(values);
  const finite = list.filter(Number.isFinite);
  const mean = finite.length ? finite.reduce((x, y) => x + y, 0) / finite.length : Infinity;
  const summary = {
    metric,
    a: sources.a,
    b: sources.b,
    images: list.length,
    mean,
    min: Math.min(...list),
    max: Math.max(...list),
    perImage: list.map((v) => (Number.isFinite(v) ? v : null)),
    ...(metric === 'lpips' ? { lpips: sources.lpips } : { dataRange: sources.dataRange }),
  };
  const table = markdownTable(
    [summary],
    [
      { title: 'metric', value: (r) => r.metric },
      { title: 'images', value: (r) => r.images },
      { title: 'mean', value: (r) => r.mean, digits: 4 },
      { title: 'min', value: (r) => r.min, digits: 4 },
      { title: 'max', value: (r) => r.max, digits: 4 },
    ],
  );
  const infinite = metric === 'psnr' ? ' (infinite PSNR: identical images, left out of the mean)' : '';
  return {
    name: metric,
    json: summary,
    markdown: `# ${metric.toUpperCase()}\n\n${sources.a} against ${sources.b}${infinite}.\n\n${table}`,
    charts: {
      images: {
        kind: 'line',
        title: `${metric.toUpperCase()} per image`,
        rows: list.map((v, i) => ({ image: i, value: Number.isFinite(v) ? v : null, metric })),
        x: { field: 'image', title: 'image' },
        y: { field: 'value', title: metric.toUpperCase() },
        series: 'metric',
      },
    },
  };
}
