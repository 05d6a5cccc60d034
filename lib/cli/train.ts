import fs from 'node:fs';
import path from 'node:path';

import { Command } from 'commander';

import { loadCheckpoint, loadTrainerState, saveCheckpoint } from '../checkpoint/checkpoint';
import { loadTrainConfig, type TrainConfigJson } from '../config/train-config';
import { loadDataset } from '../data/load';
import type { Device } from '../device';
import { distributedFromEnv } from '../distributed';
import { MissingUError } from '../errors';
import { disposeTrainerState, train, type ResumeFrom } from '../train';
import { LAUNCHED_ENV, launchWorkers } from './launch';
import { progressPrinter } from './progress';

interface TrainOptions {
  config?: string;
  out?: string;
  steps?: number;
  resume?: string | true;
  json?: boolean;
  nproc?: number;
  distTimeout?: number;
}

/**
 * How this process stops early: Ctrl-C, or, in a worker that `--nproc` started, the launcher's
 * request (it forwards Ctrl-C once to every worker, and a vanished launcher stops them too).
 */
function stopOnRequest(controller: AbortController): () => void {
  if (process.env[LAUNCHED_ENV] && process.send) {
    const stop = () => controller.abort();
    const onMessage = (message: unknown) => {
      if ((message as { type?: string } | null)?.type === 'stop') stop();
    };
    const ignore = () => {};
    process.on('message', onMessage);
    process.once('disconnect', stop);
    process.on('SIGINT', ignore);
    process.channel?.unref();
    return () => {
      process.removeListener('message', onMessage);
      process.removeListener('disconnect', stop);
      process.removeListener('SIGINT', ignore);
    };
  }
  const interrupt = () => {
    process.stderr.write('\nmissing-u: stopping after this step to save a checkpoint (Ctrl-C again quits now)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  return () => process.removeListener('SIGINT', interrupt);
}

/** --resume DIR continues DIR; a bare --resume continues the output folder. */
function resolveRun(opts: TrainOptions): { config: TrainConfigJson; out: string; resumeDir?: string } {
  const givenResumeDir = typeof opts.resume === 'string' ? opts.resume : undefined;
  let config: TrainConfigJson;
  if (opts.config) {
    config = loadTrainConfig(opts.config);
  } else if (givenResumeDir ?? (opts.resume && opts.out)) {
    config = loadTrainConfig(path.join(givenResumeDir ?? opts.out ?? '', 'config.json'));
  } else {
    throw new MissingUError('train needs --config FILE (see configs/), or --resume DIR to continue a checkpoint');
  }
  if (opts.steps !== undefined) config.train.steps = opts.steps;
  const out = opts.out ?? givenResumeDir ?? config.output?.dir ?? path.join('runs', config.name);
  return { config, out, resumeDir: opts.resume ? (givenResumeDir ?? out) : undefined };
}

function loadResume(dir: string, config: TrainConfigJson): ResumeFrom {
  if (!fs.existsSync(dir)) throw new MissingUError(`--resume: checkpoint folder ${dir} does not exist`);
  const checkpoint = loadCheckpoint(dir, { device: config.model.device as Device });
  if (checkpoint.config.model.preset !== config.model.preset) {
    throw new MissingUError(
      `--resume: ${dir} holds a ${checkpoint.config.model.preset} model but the config trains ${config.model.preset}`,
    );
  }
  return { model: checkpoint.model, ema: checkpoint.ema, state: loadTrainerState(dir) };
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train a model from a JSON config; Ctrl-C saves a checkpoint and exits')
    .option('--config <file>', 'a training config (see configs/); default with --resume: the checkpoint’s')
    .option('--out <dir>', 'checkpoint folder (default: the config’s output.dir, or runs/<name>)')
    .option('--steps <n>', 'override train.steps (the whole run’s steps, also when resuming)', (v) => Number(v))
    .option('--resume [dir]', 'continue the run saved in dir (default: the output folder) exactly where it stopped')
    .option('--json', 'print the result as JSON')
    .option('--nproc <n>', 'train data-parallel in n local worker processes (Gloo on loopback)', (v) => Number(v))
    .option(
      '--dist-timeout <seconds>',
      'data-parallel: a worker silent this long fails the others (default 300)',
      (v) => Number(v),
    )
    .addHelpText(
      'after',
      '\nData-parallel: with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set (torchrun-style), this process is one\n' +
        'worker; only rank 0 saves. train.batchSize is per worker (the global batch is WORLD_SIZE times it).',
    )
    .action(async (opts: TrainOptions) => {
      if (opts.nproc !== undefined && opts.nproc !== 1 && !process.env[LAUNCHED_ENV]) {
        await launchWorkers(opts.nproc, process.argv.slice(2));
        return;
      }
      const distributed = distributedFromEnv();
      if (distributed && opts.distTimeout !== undefined) distributed.timeoutSeconds = opts.distTimeout;
      const main = (distributed?.rank ?? 0) === 0;
      const { config, out, resumeDir } = resolveRun(opts);
      const data = await loadDataset(config.data);
      const resume = resumeDir ? loadResume(resumeDir, config) : undefined;
      const controller = new AbortController();
      const stopListening = stopOnRequest(controller);
      const show = main ? progressPrinter('train', config.train.steps, { start: resume?.state.step ?? 0 }) : () => {};
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
        {
          signal: controller.signal,
          onProgress: (p) => show(p.step, `loss ${p.loss.toFixed(4)}`),
          resume,
          distributed,
        },
      ).finally(() => {
        stopListening();
        if (resume) {
          resume.model.dispose();
          resume.ema.dispose();
          disposeTrainerState(resume.state);
        }
      });
      const step = result.state.step;
      const lastLoss = result.losses.length > 0 ? result.losses[result.losses.length - 1] : null;
      if (!main) {
        // Every rank holds the same weights; rank 0 alone writes them and reports.
        result.model.dispose();
        result.ema.dispose();
        disposeTrainerState(result.state);
        return;
      }
      saveCheckpoint(out, {
        model: result.model,
        ema: result.ema,
        config,
        trainer: result.state,
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
      disposeTrainerState(result.state);
      const summary = { checkpoint: path.resolve(out), steps: step, aborted: result.aborted, lastLoss };
      process.stdout.write(
        opts.json ? `${JSON.stringify(summary)}\n` : `saved ${summary.checkpoint} after ${step} steps\n`,
      );
    });
}
