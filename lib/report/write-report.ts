import fs from 'node:fs';
import path from 'node:path';

import { writeFileAtomic } from '../io/atomic';
import { CHART_PACKAGES, writeChart, type Chart } from './chart';

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

export interface WriteReportOptions {
  /** False: the JSON and Markdown alone, with a note in the Markdown on what draws the charts (default true). */
  charts?: boolean;
}

/** What the Markdown of a report says in place of the charts it left out. */
export const CHARTS_LEFT_OUT = `Charts left out: they need the optional packages ${CHART_PACKAGES.join(
  ' and ',
)} (npm install ${CHART_PACKAGES.join(' ')}).`;

/**
 * Writes a report folder: JSON, Markdown that embeds the charts, and the charts as PNG + SVG (or, with
 * `charts: false`, a note in their place). Returns the files.
 */
export async function writeReport(dir: string, report: Report, opts: WriteReportOptions = {}): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  let markdown = report.markdown;
  if (opts.charts === false) {
    if (Object.keys(report.charts).length > 0) markdown += `\n${CHARTS_LEFT_OUT}\n`;
  } else {
    for (const [key, chart] of Object.entries(report.charts)) {
      const png = path.join(dir, `${report.name}-${key}.png`);
      await writeChart(chart, png);
      markdown += `\n![${chart.title}](${path.basename(png)})\n`;
      files.push(png);
    }
  }
  const json = path.join(dir, `${report.name}.json`);
  const md = path.join(dir, `${report.name}.md`);
  writeFileAtomic(json, `${JSON.stringify(report.json, null, 2)}\n`);
  writeFileAtomic(md, markdown);
  return [json, md, ...files];
}
