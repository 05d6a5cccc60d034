import fs from 'node:fs';
import path from 'node:path';

import { writeFileAtomic } from '../io/atomic';
import { writeChart, type Chart } from './chart';

export interface Report {
  /** File stem: <name>.json and <name>.md. */
  name: string;
  /** The machine-readable result. */
  json: unknown;
  /** The Markdown body (title, tables, notes); the charts are linked below it. */
  markdown: string;
  /** Written as <name>-<key>.png (and .svg). */
  charts: Record<string, Chart>;
}

/** Writes a report folder: JSON, Markdown that embeds the charts, and the charts as PNG + SVG. Returns the files. */
export async function writeReport(dir: string, report: Report): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  let markdown = report.markdown;
  for (const [key, chart] of Object.entries(report.charts)) {
    const png = path.join(dir, `${report.name}-${key}.png`);
    await writeChart(chart, png);
    markdown += `\n![${chart.title}](${path.basename(png)})\n`;
    files.push(png);
  }
  const json = path.join(dir, `${report.name}.json`);
  const md = path.join(dir, `${report.name}.md`);
  writeFileAtomic(json, `${JSON.stringify(report.json, null, 2)}\n`);
  writeFileAtomic(md, markdown);
  return [json, md, ...files];
}
