import type { TopLevelSpec } from 'vega-lite';
import type Sharp from 'sharp';
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';

import { writeFileAtomic } from '../io/atomic';
import { loadModule, missingModules } from '../optional-module';

/** The optional packages that draw charts (peer dependencies an install may leave out). */
export const CHART_PACKAGES = ['vega', 'vega-lite'] as const;

/** The chart packages that are not installed: charts are drawn only when this is empty. */
export function missingChartPackages(): string[] {
  return missingModules(CHART_PACKAGES);
}

export type ChartRow = Record<string, string | number | null>;

/** A line per `series` of `y` against `x` (e.g. SSIM against the reverse step, one line per model). */
export interface LineChart {
  kind: 'line';
  title: string;
  rows: ChartRow[];
  /** `log`: a logarithmic x axis (e.g. step counts from 5 to 100). */
  x: { field: string; title: string; reverse?: boolean; log?: boolean };
  y: { field: string; title: string; zero?: boolean };
  series: string;
  /** Small multiples: one panel per value of this field. */
  facet?: { field: string; title: string; columns?: number };
}

/** Grouped bars: `y` for each `category`, one bar per `series`. */
export interface BarChart {
  kind: 'bar';
  title: string;
  rows: ChartRow[];
  category: { field: string; title: string };
  y: { field: string; title: string };
  series: string;
  /** Each category its own y scale (for categories in different units). */
  independentY?: boolean;
}

export type Chart = LineChart | BarChart;

function vegaLiteSpec(chart: Chart): TopLevelSpec {
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values: chart.rows } };
  if (chart.kind === 'bar') {
    return {
      ...base,
      title: chart.title,
      width: { step: 18 },
      height: 220,
      mark: 'bar',
      encoding: {
        x: { field: chart.series, type: 'nominal', title: null, axis: { labels: false, ticks: false } },
        column: { field: chart.category.field, type: 'nominal', title: chart.category.title },
        y: { field: chart.y.field, type: 'quantitative', title: chart.y.title },
        color: { field: chart.series, type: 'nominal', title: chart.series },
      },
      ...(chart.independentY ? { resolve: { scale: { y: 'independent' } } } : {}),
    };
  }
  const layer = {
    mark: { type: 'line' as const, point: chart.rows.length <= 60 },
    encoding: {
      x: {
        field: chart.x.field,
        type: 'quantitative' as const,
        title: chart.x.title,
        scale: { reverse: chart.x.reverse ?? false, ...(chart.x.log ? { type: 'log' as const } : {}) },
      },
      y: {
        field: chart.y.field,
        type: 'quantitative' as const,
        title: chart.y.title,
        scale: { zero: chart.y.zero ?? false },
      },
      color: { field: chart.series, type: 'nominal' as const, title: chart.series },
    },
  };
  if (chart.facet) {
    return {
      ...base,
      title: chart.title,
      facet: { field: chart.facet.field, type: 'ordinal', title: chart.facet.title },
      columns: chart.facet.columns ?? 4,
      spec: { width: 220, height: 150, ...layer },
      resolve: { scale: { x: 'independent' } },
    };
  }
  return { ...base, title: chart.title, width: 480, height: 280, ...layer };
}

/** The chart as SVG, rendered by Vega (no browser, no canvas). */
export async function chartSvg(chart: Chart): Promise<string> {
  const vega = loadModule<typeof Vega>('vega', 'drawing charts');
  const { compile } = loadModule<typeof VegaLite>('vega-lite', 'drawing charts');
  const view = new vega.View(vega.parse(compile(vegaLiteSpec(chart)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes the chart as a PNG (SVG rasterised by sharp at 2x) and, beside it, its SVG. */
export async function writeChart(chart: Chart, pngFile: string): Promise<void> {
  const svg = await chartSvg(chart);
  const sharp = loadModule<typeof Sharp>('sharp', 'writing PNG charts');
  const png = await sharp(Buffer.from(svg), { density: 144 }).flatten({ background: '#ffffff' }).png().toBuffer();
  writeFileAtomic(pngFile, png);
  writeFileAtomic(pngFile.replace(/\.png$/, '.svg'), svg);
}
