import { Command } from 'commander';

import { MissingUError } from '../errors';
import { models } from '../models';
import { inspectCheckpoint, inspectConfig, inspectPreset, type InspectRow } from './inspect-rows';
import { writeOut } from './output';
import { collect } from './parse';
import { progressPrinter } from './progress';
import { formatTable } from './table';

interface InspectOptions {
  preset: string;
  config: string[];
  checkpoint: string[];
  imageSize?: number;
  json?: boolean;
}

/** The columns `inspect` prints, as text. */
function inspectCells(row: InspectRow): Record<string, string> {
  const cells: Record<string, string> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === null || value === undefined) cells[key] = '-';
    else if (typeof value === 'number')
      cells[key] = Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
    else if (typeof value === 'object')
      continue; // breakdowns: --json has them
    else cells[key] = String(value);
  }
  return cells;
}

/** Each row's work, with a progress line per row (a bar on a TTY) on stderr when there is more than one. */
function inspectRows(work: Array<{ label: string; row: () => InspectRow }>): InspectRow[] {
  const show = work.length > 1 ? progressPrinter('inspect', work.length, { every: 1 }) : undefined;
  return work.map(({ label, row }, i) => {
    const result = row();
    show?.(i + 1, label);
    return result;
  });
}

export function inspectCommand(): Command {
  const command = new Command('inspect')
    .description('parameters, GFLOPs (thop-style MACs) and memory of a model preset, config or checkpoint')
    .option('--preset <name>', "preset name, or 'all'", 'all')
    .option(
      '--config <file|name>',
      'what a training config builds: a JSON file or a bundled name (repeat)',
      collect,
      [],
    )
    .option('--checkpoint <dir>', 'what a checkpoint folder holds (repeat)', collect, [])
    .option('--image-size <n>', 'image side (default: the preset’s, the config data’s or the checkpoint’s)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 4) throw new MissingUError(`--image-size must be an integer >= 4 (got ${v})`);
      return n;
    })
    .option('--json', 'print machine-readable JSON');
  return command.action((opts: InspectOptions) => {
    const built = [
      ...opts.config.map((arg) => ({ label: arg, row: () => inspectConfig(arg, opts.imageSize) })),
      ...opts.checkpoint.map((dir) => ({ label: dir, row: () => inspectCheckpoint(dir, opts.imageSize) })),
    ];
    if (built.length > 0 && command.getOptionValueSource('preset') !== 'default') {
      throw new MissingUError('inspect takes --preset, or --config and --checkpoint, not both');
    }
    const presets = opts.preset === 'all' ? models.presets().map((p) => p.name) : [opts.preset];
    const work =
      built.length > 0
        ? built
        : presets.map((name) => ({ label: name, row: () => inspectPreset(name, opts.imageSize) }));
    const rows = inspectRows(work);
    if (opts.json) {
      const single = built.length > 0 ? built.length === 1 : opts.preset !== 'all';
      writeOut(`${JSON.stringify(single ? rows[0] : rows, null, 2)}\n`);
      return;
    }
    writeOut(`${formatTable(rows.map(inspectCells))}\n`);
  });
}
