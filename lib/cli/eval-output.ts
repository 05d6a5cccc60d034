import path from 'node:path';

import type { Command } from 'commander';

import { MissingUError } from '../errors';
import { outputFolderProblem } from '../io/output-folder';
import { CHART_PACKAGES, missingChartPackages } from '../report/chart';
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
    const files = await writeReport(opts.report, report, { charts: missingChartPackages().length === 0 });
    if (!opts.json) writeErr(`wrote ${files.join(', ')}\n`);
  }
  writeOut(opts.json ? `${JSON.stringify(report.json, null, 2)}\n` : report.markdown);
}

/**
 * What --report needs, checked before the command does any work: a folder it can write, and the chart
 * packages. The report is as useful without its charts (the JSON and the Markdown tables hold every
 * number), so missing chart packages are said once on stderr and the report is written without them.
 */
function checkReport(opts: OutputOptions): void {
  if (!opts.report) return;
  const problem = outputFolderProblem(opts.report);
  if (problem) throw new MissingUError(`--report ${opts.report}: ${problem}`);
  const missing = missingChartPackages();
  if (missing.length > 0) {
    writeErr(
      `--report: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed, so the report is ` +
        `written without charts (JSON and Markdown); npm install ${CHART_PACKAGES.join(' ')} draws them\n`,
    );
  }
}

export function withOutput(command: Command): Command {
  return command
    .option('--json', 'print the result as JSON')
    .option('--report <dir>', 'write <metric>.json, <metric>.md and PNG/SVG plots into dir')
    .hook('preAction', (self) => checkReport(self.opts<OutputOptions>()));
}

/** name=path, or a bare path named after its folder or file. */
export function named(spec: string): { name: string; file: string } {
  const at = spec.indexOf('=');
  if (at > 0) return { name: spec.slice(0, at), file: spec.slice(at + 1) };
  return { name: path.basename(spec.replace(/\/+$/, '')).replace(/\.pt$/, ''), file: spec };
}
