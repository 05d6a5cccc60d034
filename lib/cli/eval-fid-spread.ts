import { Command } from 'commander';
import type { z } from 'zod';

import { MissingUError } from '../errors';
import { fidSpread } from '../eval/fid-spread';
import { fidSpreadReport } from '../eval/fid-spread-report';
import { readJsonFile } from '../io/json-file';
import { EfficiencyFileSchema, FidStepsFileSchema } from '../schemas/fid-steps-file';
import { parseOptions } from '../schemas/parse-options';
import { emit, withOutput, type OutputOptions } from './eval-output';
import { checkFlagPaths, type FlagPath } from './eval-paths';

/** A fid-steps result's rows; a file of another shape gets its first problems named, not one line per row. */
function readResult(file: string): z.output<typeof FidStepsFileSchema> {
  const parsed = FidStepsFileSchema.safeParse(readJsonFile(file, 'fid-steps result'));
  if (parsed.success) return parsed.data;
  const shown = 3;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message.toLowerCase()}`);
  const more = problems.length > shown ? ` (and ${problems.length - shown} more)` : '';
  throw new MissingUError(
    `${file} is not an eval fid-steps --json result of this version: ${problems.slice(0, shown).join('; ')}${more}. ` +
      'Run eval fid-steps again with --json (or --report) to make one',
  );
}

interface FidSpreadCliOptions extends OutputOptions {
  timing?: string;
}

/** `eval fid-spread`: several fid-steps results (other training seeds, other x_T seeds) as one table with spreads. */
export function fidSpreadCommand(): Command {
  const command = new Command('fid-spread')
    .description('FID over several runs: the mean of each cell of fid-steps results, with its lowest and highest run')
    .argument('<results...>', 'eval fid-steps --json outputs (or --report fid-steps.json files), one per run')
    .option(
      '--timing <file>',
      'eval efficiency --json: each denoiser’s side-by-side ms per step, for seconds per sample',
    );
  return withOutput(command).action(async (results: string[], opts: FidSpreadCliOptions) => {
    checkFlagPaths([
      ...results.map((file): FlagPath => ({
        flag: 'result',
        path: file,
        kind: 'file',
        what: 'a fid-steps JSON file (eval fid-steps --json)',
      })),
      ...(opts.timing
        ? [{ flag: '--timing', path: opts.timing, kind: 'file', what: 'an eval efficiency JSON file' } as FlagPath]
        : []),
    ]);
    const rows = results.flatMap((file) => readResult(file).rows);
    let msPerStep: Record<string, number> | undefined;
    if (opts.timing) {
      const json = readJsonFile(opts.timing, 'efficiency result');
      const { rows: timed } = parseOptions(EfficiencyFileSchema, json, opts.timing);
      msPerStep = Object.fromEntries(timed.map((row) => [row.name, row.msPerStep]));
    }
    await emit(fidSpreadReport(fidSpread(rows, { msPerStep }), results), opts);
  });
}
