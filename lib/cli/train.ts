import path from 'node:path';

import { Command } from 'commander';

import { saveCheckpoint } from '../checkpoint/checkpoint';
import { loadTrainConfig } from '../config/train-config';
import { loadDataset } from '../data/load';
import type { Device } from '../device';
import { train } from '../train';
import { progressPrinter } from './progress';

export function trainCommand(): Command {
  return new Command('train')
    .description('train a model from a JSON config; Ctrl-C saves a checkpoint and exits')
    .requiredOption('--config <file>', 'a training config (see configs/)')
    .option('--out <dir>', 'checkpoint folder (default: the config’s output.dir, or runs/<name>)')
    .option('--steps <n>', 'override train.steps', (v) => Number(v))
    .option('--json', 'print the result as JSON')
    .action(async (opts: { config: string; out?: string; steps?: number; json?: boolean }) => {
      const config = loadTrainConfig(opts.config);
      if (opts.steps !== undefined) config.train.steps = opts.steps;
      const out = opts.out ?? config.output?.dir ?? path.join('runs', config.name);
      const data = await loadDataset(config.data);
      const controller = new AbortController();
      const interrupt = () => {
        process.stderr.write('\nmissing-u: stopping after this step to save a checkpoint (Ctrl-C again quits now)\n');
        controller.abort();
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', interrupt);
      const show = progressPrinter('train', config.train.steps);
      const { train: t, diffusion } = config;
      const result = await train(
        {
          model: { preset: config.model.preset, device: config.model.device as Device },
          data,
          diffusion,
          steps: t.steps,
          batchSize: t.batchSize,
          accumulate: t.accumulate,
          lr: t.lr,
          betas: t.betas,
          weightDecay: t.weightDecay,
          warmupSteps: t.warmupSteps,
          gradClip: t.gradClip,
          ema: t.ema,
          seed: t.seed,
        },
        { signal: controller.signal, onProgress: (p) => show(p.step, `loss ${p.loss.toFixed(4)}`) },
      );
      process.removeListener('SIGINT', interrupt);
      const step = result.losses.length;
      const lastLoss = step > 0 ? result.losses[step - 1] : null;
      saveCheckpoint(out, {
        model: result.model,
        ema: result.ema,
        config,
        state: {
          step,
          imageSize: data.shape[2],
          channels: data.shape[1],
          seed: t.seed,
          aborted: result.aborted,
          lastLoss,
          savedAt: new Date().toISOString(),
        },
      });
      result.model.dispose();
      result.ema.dispose();
      const summary = { checkpoint: path.resolve(out), steps: step, aborted: result.aborted, lastLoss };
      process.stdout.write(
        opts.json ? `${JSON.stringify(summary)}\n` : `saved ${summary.checkpoint} after ${step} steps\n`,
      );
    });
}
