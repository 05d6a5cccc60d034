import { Command } from 'commander';

import { MissingUError } from '../errors';
import { models, type ModelPreset } from '../models';

export interface InspectRow {
  preset: string;
  imageSize: number;
  channels: number;
  parameters: number;
  trainable: number;
  /** thop-style multiply-accumulates of one forward pass at batch 1, in G. */
  gflops: number;
  /** fp32 weights, gradients and two Adam moments, 16 bytes per parameter, in MiB: the paper's "MB" column. */
  trainingStateMiB: number;
  /** Measured peak CPU tensor memory of a forward pass at batch 1, without and with autograd. */
  peakInferenceMB: number | null;
  peakTrainingMB: number | null;
}

const MB = 1e6;

export function inspectPreset(preset: string, imageSize?: number): InspectRow {
  const known = models.presets().find((p) => p.name === preset);
  if (!known) {
    const names = models.presets().map((p) => p.name);
    throw new MissingUError(`unknown preset '${preset}': use one of ${names.join(', ')} (or 'all')`);
  }
  using model = models.create({ preset: preset as ModelPreset, imageSize, seed: 0 });
  const shape = [1, model.channels, model.imageSize, model.imageSize];
  const count = model.parameterCount();
  const peak = model.peakMemory(shape);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    preset,
    imageSize: model.imageSize,
    channels: model.channels,
    parameters: count.total,
    trainable: count.trainable,
    gflops: round(model.flops(shape).macs / 1e9),
    trainingStateMiB: round((count.total * 16) / 2 ** 20),
    peakInferenceMB: peak ? round(peak.inference / MB) : null,
    peakTrainingMB: peak ? round(peak.training / MB) : null,
  };
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
        process.stdout.write(`${JSON.stringify(opts.preset === 'all' ? rows : rows[0], null, 2)}\n`);
        return;
      }
      console.table(rows);
    });
}
