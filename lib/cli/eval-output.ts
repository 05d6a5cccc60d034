import path from 'node:path';

import type { Command } from 'commander';

import { writeReport, type Report } from '../report/write-report';
import { writeErr, writeOut } from './output';

/** --json and --report, which every eval command takes. */
export interface OutputOptions {
  json?: boolean;
  report?: string;
}

/** Writes the report folder when asked, and prints the JSON or the Markdown. */
export async function emit(report: Report, opts: OutputOptions): Promise<void> {
  if (opts.report) {
    const files = await writeReport(opts.report, report);
    if (!opts.json) writeErr(`wrote ${files.join(', ')}\n`);
  }
  writeOut(opts.json ? `${JSON.stringify(report.json, null, 2)}\n` : report.markdown);
}

export function withOutput(command: Command): Command {
  return command
    .option('--json', 'print the result as JSON')
    .option('--report <dir>', 'write <metric>.json, <metric>.md and PNG/SVG plots into dir');
}

/** name=path, or a bare path named after its folder or file. */
export function named(spec: string): { name: string; file: string } {
  const at = spec.indexOf('=');
  if (at > 0) return { name: spec.slice(0, at), file: spec.slice(at + 1) };
  return { name: path.basename(spec.replace(/\/+$/, '')).replace(/\.pt$/, ''), file: spec };
}
