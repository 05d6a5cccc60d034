import { Command } from 'commander';

import { loadDenoiser } from '../checkpoint/load-denoiser';
import { MissingUError } from '../errors';
import { fidSteps, type FidStepsDenoiser } from '../eval/fid-steps';
import { fidStepsReport } from '../eval/fid-steps-report';
import { probeDenoisers } from '../eval/denoiser-probe';
import { jit } from '../jit';
import { info } from '../runtime';
import { FidStepsSchema } from '../schemas/fid-steps-options';
import { diffusionFlags, diffusionFromFlags, type DiffusionFlags } from './diffusion-flags';
import { emit, named, withOutput, type OutputOptions } from './eval-output';
import { checkFlagPaths, fidFlagPaths, type FlagPath } from './eval-paths';
import { extractorFromFlags, fidFlags, realStatsFromFlags, type FidFlags } from './fid-flags';
import { odeFlags, odeFromFlags, type OdeFlagValues } from './ode-flags';
import { collect, count, imageShape, positive, positiveCount, positiveCounts } from './parse';
import { progressPrinter } from './progress';
import { checkpointFallbacks, DENOISERS_PRECISION, reverseFlags, type ReverseFlagValues } from './reverse-flags';

interface FidStepsCliOptions
  extends OutputOptions, FidFlags, DiffusionFlags, OdeFlagValues, Omit<ReverseFlagValues, 'steps' | 'eta'> {
  tolerances?: number[];
  checkpoint: string[];
  torchscript: string[];
  shape?: string;
  steps: number[];
  n: number;
  batchSize: number;
  imageSize?: number;
}

/** The denoisers the flags name: checkpoints (their EMA weights) and TorchScript files, loaded in that order. */
function loadDenoisers(opts: FidStepsCliOptions, into: FidStepsDenoiser[]): void {
  const { device } = opts;
  for (const spec of opts.checkpoint) {
    const { name, file } = named(spec);
    const { denoiser, diffusion, config } = loadDenoiser(file, { device });
    into.push({ name, denoiser, diffusion, checkpoint: file, trainingSeed: config.train.seed });
  }
  if (opts.torchscript.length === 0) return;
  const shape = imageShape(opts.shape);
  const diffusion = diffusionFromFlags(opts);
  for (const spec of opts.torchscript) {
    const { name, file } = named(spec);
    into.push({ name, denoiser: jit.load(file, { device, diffusion }), shape, checkpoint: file });
  }
}

export function fidStepsCommand(): Command {
  const defaults = FidStepsSchema.parse({});
  const command = new Command('fid-steps')
    .description('the paper’s table 1: FID and seconds per sample against the sampling steps, for each denoiser')
    .option('--checkpoint <name=dir>', 'a trained checkpoint, sampled with its EMA weights (repeat)', collect, [])
    .option('--torchscript <name=file>', 'a TorchScript denoiser forward(x, t), with --shape (repeat)', collect, [])
    .option('--shape <c,h,w>', 'image shape, for --torchscript')
    .option('--steps <list>', 'reverse step counts, each respacing the schedule', positiveCounts('--steps'), [
      ...defaults.steps,
    ])
    .option('--n <n>', 'samples per row, and real images (FID is biased by n)', positiveCount('--n'), defaults.n)
    .option('--batch-size <n>', 'images per sampling call', positiveCount('--batch-size'), defaults.batchSize);
  reverseFlags(command, ['sampler', 'spacing', 'seed', 'precision', 'device'], {
    descriptions: { seed: 'seed of x_T, the same for every row', precision: DENOISERS_PRECISION },
    defaults: { seed: defaults.seed },
    fallbacks: {
      sampler: checkpointFallbacks().sampler,
      spacing: checkpointFallbacks().spacing,
      precision: 'their own',
    },
  })
    .option(
      '--tolerances <list>',
      '--sampler ode with dopri5: one row per tolerance, rtol = atol = each (in place of --steps)',
      (v: string) => v.split(',').map((part) => positive('--tolerances')(part.trim())),
    )
    .option('--real <source>', "real images ('mnist', a folder, .safetensors) or cached .stats.safetensors", 'mnist')
    .option('--image-size <n>', 'size to load an image-folder --real at', count('--image-size'));
  odeFlags(command);
  diffusionFlags(command);
  return withOutput(fidFlags(command)).action(async (opts: FidStepsCliOptions) => {
    if (opts.checkpoint.length + opts.torchscript.length === 0) {
      throw new MissingUError('eval fid-steps needs at least one --checkpoint NAME=DIR or --torchscript NAME=FILE');
    }
    checkFlagPaths([
      ...opts.checkpoint.map((spec): FlagPath => ({
        flag: '--checkpoint',
        path: named(spec).file,
        kind: 'folder',
        what: 'a checkpoint folder',
      })),
      ...opts.torchscript.map((spec): FlagPath => ({
        flag: '--torchscript',
        path: named(spec).file,
        kind: 'file',
        what: 'a TorchScript file',
      })),
      ...fidFlagPaths(opts),
    ]);
    const denoisers: FidStepsDenoiser[] = [];
    const extractor = extractorFromFlags(opts);
    try {
      loadDenoisers(opts, denoisers);
      // Before the real features: a denoiser of another image size fails here, not after sampling.
      await probeDenoisers(denoisers, { caller: 'eval fid-steps', precision: opts.precision });
      const showReal = progressPrinter('real features', opts.n, { every: 500 });
      const real = await realStatsFromFlags(opts, extractor, { n: opts.n, imageSize: opts.imageSize }, (p) =>
        showReal(p.done),
      );
      const perDenoiser = opts.sampler === 'ode' && opts.tolerances ? opts.tolerances : opts.steps;
      const rows = denoisers.length * new Set(perDenoiser).size;
      const show = progressPrinter('fid-steps', rows * opts.n, { every: opts.n });
      const result = await fidSteps(denoisers, {
        real: real.stats,
        extractor,
        steps: opts.steps,
        sampler: opts.sampler,
        spacing: opts.spacing,
        ode: odeFromFlags(opts),
        tolerances: opts.tolerances,
        n: opts.n,
        seed: opts.seed,
        batchSize: opts.batchSize,
        precision: opts.precision,
        onProgress: (p) => {
          const row = typeof p.steps === 'number' ? `${p.steps} steps` : p.steps;
          show(p.rowsDone * p.images + p.imagesDone, `${p.denoiser} ${row}`, p.rows * p.images);
        },
      });
      const runtime = info();
      const machine = { torch: runtime.torch, threads: runtime.threads, cuda: runtime.cuda, device: opts.device };
      await emit(fidStepsReport(result, { real: opts.real, realStats: real.file, machine }), opts);
    } finally {
      denoisers.forEach((d) => d.denoiser.dispose());
      extractor.module.dispose();
    }
  });
}
