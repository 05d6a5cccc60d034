import { Command } from 'commander';

import { MissingUError } from '../errors';
import { modelCost, type ModelCost } from '../eval/model-cost';
import { models, type ModelPreset } from '../models';
import { writeOut } from './output';
import { formatTable } from './table';

export interface InspectRow extends ModelCost {
  preset: string;
  imageSize: number;
  channels: number;
}

export function inspectPreset(preset: string, imageSize?: number): InspectRow {
  const known = models.presets().find((p) => p.name === preset);
  if (!known) {
    const names = models.presets().map((p) => p.name);
    throw new MissingUError(`unknown preset '${preset}': use one of ${names.join(', ')} (or 'all')`);
  }
  using model = models.create({ preset: preset as ModelPreset, imageSize, seed: 0 });
  return { preset, imageSize: model.imageSize, channels: model.channels, ...modelCost(model) };
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

export function inspectCommand(): Command {
  return new Command('inspect')
    .description('parameters, GFLOPs (thop-style MACs) and memory of a model preset')
    .option('--preset <name>', "preset name, or 'all'", 'all')
    .option('--image-size <n>', 'image side (default: the preset’s)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 4) throw new MissingUError(`--image-size must be an integer >= 4 (got ${v})`);
      return n;
    })
    .option('--json', 'print machine-readable JSON')
    .action((opts: { preset: string; imageSize?: number; json?: boolean }) => {
      const names = opts.preset === 'all' ? models.presets().map((p) => p.name) : [opts.preset];
      const rows = names.map((name) => inspectPreset(name, opts.imageSize));
      if (opts.json) {
        writeOut(`${JSON.stringify(opts.preset === 'all' ? rows : rows[0], null, 2)}\n`);
        return;
      }
      writeOut(`${formatTable(rows.map(inspectCells))}\n`);
    });
}
