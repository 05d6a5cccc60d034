import { markdownTable } from '../report/markdown';
import type { Report } from '../report/write-report';
import type { EfficiencyRow } from './efficiency';

/** The efficiency table (paper table 5) as Markdown and JSON, with bars of each cost per model (figure 6). */
export function efficiencyReport(rows: EfficiencyRow[], machine: Record<string, unknown>): Report {
  const table = markdownTable(rows, [
    { title: 'model', value: (r) => r.name },
    { title: 'preset', value: (r) => r.preset },
    { title: 'image', value: (r) => `${r.channels}x${r.imageSize}x${r.imageSize}` },
    { title: 'params (M)', value: (r) => r.parameters / 1e6, digits: 2 },
    { title: 'GFLOPs', value: (r) => r.gflops, digits: 2 },
    { title: 'training state (MiB)', value: (r) => r.trainingStateMiB, digits: 1 },
    { title: 'peak inference (MB)', value: (r) => r.peakInferenceMB, digits: 1 },
    { title: 'sampler', value: (r) => `${r.sampler} ${r.steps}` },
    { title: 's / sample', value: (r) => r.secondsPerSample, digits: 3 },
    { title: 'ms / step / image', value: (r) => r.msPerStep, digits: 2 },
  ]);
  const metrics: Array<[string, (r: EfficiencyRow) => number | null]> = [
    ['params (M)', (r) => r.parameters / 1e6],
    ['GFLOPs', (r) => r.gflops],
    ['peak inference (MB)', (r) => r.peakInferenceMB],
    ['s / sample', (r) => r.secondsPerSample],
  ];
  const bars = rows.flatMap((r) => metrics.map(([metric, value]) => ({ model: r.name, metric, value: value(r) })));
  const machineLine = Object.entries(machine)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
  return {
    name: 'efficiency',
    json: { machine, rows },
    markdown:
      '# Efficiency\n\nGFLOPs are thop-style multiply-accumulates of one forward pass at batch 1, as the paper ' +
      'counts them; seconds per sample are measured in one process, one model after the other ' +
      `(${machineLine}).\n\n${table}`,
    charts: {
      costs: {
        kind: 'bar',
        title: 'Cost per model',
        rows: bars,
        category: { field: 'metric', title: '' },
        y: { field: 'value', title: 'value' },
        series: 'model',
        independentY: true,
      },
    },
  };
}
