import fs from 'node:fs';
import path from 'node:path';

import { Command } from 'commander';

import { loadCheckpoint, loadTrainerState, saveCheckpoint, type CheckpointState } from '../checkpoint/checkpoint';
import { assertSaveTarget, findCheckpoint } from '../checkpoint/folder';
import { loadTrainConfig, type TrainConfigJson } from '../config/train-config';
import { openTrainingImages } from '../data/load';
import type { Device } from '../device';
import { distributedFromEnv } from '../distributed';
import { MissingUError } from '../errors';
import type { Precision } from '../schemas/precision';
import { disposeTrainerState, trainParsed, type ResumeFrom } from '../train';
import { LAUNCHED_ENV, launchWorkers } from './launch';
import { precisionOption } from './parse';
import { progressPrinter } from './progress';
import { listenForStop } from './stop-signals';

interface TrainOptions {
  config?: string;
  out?: string;
  steps?: number;
  resume?: string | true;
  checkpointEvery?: number;
  precision?: Precision;
  json?: boolean;
  nproc?: number;
  distTimeout?: number;
}

interface Run {
  config: TrainConfigJson;
  out: string;
  /** The checkpoint folder to continue (the output folder or its recovery copy); absent for a fresh start. */
  resumeFrom?: string;
}

function isEmptyOrAbsent(dir: string): boolean {
  return !fs.existsSync(dir) || (fs.statSync(dir).isDirectory() && fs.readdirSync(dir).length === 0);
}

/**
 * --resume DIR continues the checkpoint in DIR (or its recovery copy); when DIR holds none yet, the
 * run starts there from --config, so one command line serves the first start and every restart.
 */
function resolveRun(opts: TrainOptions): Run {
  const resumeDir = typeof opts.resume === 'string' ? opts.resume : opts.resume ? opts.out : undefined;
  const resumeFrom = resumeDir === undefined ? undefined : findCheckpoint(resumeDir);
  if (resumeDir !== undefined && resumeFrom === undefined && !isEmptyOrAbsent(resumeDir)) {
    throw new MissingUError(`--resume: ${resumeDir} is not a missing-u checkpoint, so there is nothing to continue`);
  }
  let config: TrainConfigJson;
  if (opts.config) {
    config = loadTrainConfig(opts.config);
  } else if (resumeFrom) {
    config = loadTrainConfig(path.join(resumeFrom, 'config.json'));
  } else if (resumeDir !== undefined) {
    throw new MissingUError(
      `--resume: ${resumeDir} holds no checkpoint yet; give --config FILE to start the run there`,
    );
  } else if (opts.resume) {
    throw new MissingUError('--resume without a folder continues --out DIR: give --out, or --resume DIR');
  } else {
    throw new MissingUError('train needs --config FILE (see configs/), or --resume DIR to continue a checkpoint');
  }
  if (opts.steps !== undefined) config.train.steps = opts.steps;
  if (opts.checkpointEvery !== undefined) config.train.checkpointEvery = opts.checkpointEvery;
  if (opts.precision !== undefined) config.train.precision = opts.precision;
  const out = path.resolve(opts.out ?? resumeDir ?? config.output?.dir ?? path.join('runs', config.name));
  return { config, out, resumeFrom };
}

function loadResume(dir: string, config: TrainConfigJson): ResumeFrom {
  const checkpoint = loadCheckpoint(dir, { device: config.model.device as Device });
  if (checkpoint.config.model.preset !== config.model.preset) {
    checkpoint.model.dispose();
    checkpoint.ema.dispose();
    throw new MissingUError(
      `--resume: ${dir} holds a ${checkpoint.config.model.preset} model but the config trains ${config.model.preset}`,
    );
  }
  return { model: checkpoint.model, ema: checkpoint.ema, state: loadTrainerState(dir) };
}

function integerOption(name: string, min: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) {
      throw new MissingUError(`${name} must be an integer >= ${min}, got '${text}'`);
    }
    return value;
  };
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train a model from a JSON config; checkpoints periodically, and Ctrl-C or SIGTERM saves and exits')
    .option('--config <file>', 'a training config (see configs/); default with --resume: the checkpoint’s')
    .option('--out <dir>', 'checkpoint folder (default: the config’s output.dir, or runs/<name>)')
    .option(
      '--steps <n>',
      'override train.steps (the whole run’s steps, also when resuming)',
      integerOption('--steps', 1),
    )
    .option(
      '--resume [dir]',
      'continue the run saved in dir (default: the output folder) exactly where it stopped; starts it when dir holds none yet',
    )
    .option(
      '--checkpoint-every <n>',
      'save a checkpoint every n steps (override train.checkpointEvery, default 500; 0: only at the end)',
      integerOption('--checkpoint-every', 0),
    )
    .option(
      '--precision <p>',
      'override train.precision: fp32, bf16 (CPUs with avx512_bf16/AMX, CUDA) or fp16 (CUDA, with loss scaling)',
      precisionOption('--precision'),
    )
    .option('--json', 'print the result as JSON')
    .option('--nproc <n>', 'train data-parallel in n local worker processes (Gloo on loopback)', (v) => Number(v))
    .option(
      '--dist-timeout <seconds>',
      'data-parallel: a worker silent this long fails the others (default 300)',
      (v) => Number(v),
    )
    .addHelpText(
      'after',
      '\nA run saves into its folder every train.checkpointEvery steps and train.checkpointSeconds seconds, and when\n' +
        'SIGINT (Ctrl-C) or SIGTERM stops it (exit 130 / 143; a second signal quits at once). Saves are atomic:\n' +
        'after a crash or kill -9 the folder (or <folder>.previous) holds the last checkpoint, and\n' +
        '`train --resume DIR --config FILE` continues it, or starts the run when DIR holds none yet.\n' +
        '\nData-parallel: with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set (torchrun-style), this process is one\n' +
        'worker; only rank 0 saves. train.batchSize is per worker (the global batch is WORLD_SIZE times it).',
    )
    .action(async (opts: TrainOptions) => {
      if (opts.nproc !== undefined && opts.nproc !== 1 && !process.env[LAUNCHED_ENV]) {
        await launchWorkers(opts.nproc, process.argv.slice(2));
        return;
      }
      const controller = new AbortController();
      const stops = listenForStop(controller);
      try {
        await runTraining(opts, controller.signal);
        if (controller.signal.aborted) process.exitCode = stops.exitCode ?? 130;
      } catch (err) {
        const abortError = (err as Error).name === 'AbortError' || (err as { code?: string }).code === 'aborted';
        if (controller.signal.aborted && abortError) {
          process.stderr.write('missing-u: stopped before training began; nothing was saved\n');
          process.exitCode = stops.exitCode ?? 130;
          return;
        }
        throw err;
      } finally {
        stops.dispose();
      }
    });
}

async function runTraining(opts: TrainOptions, signal: AbortSignal): Promise<void> {
  const distributed = distributedFromEnv();
  if (distributed && opts.distTimeout !== undefined) distributed.timeoutSeconds = opts.distTimeout;
  const main = (distributed?.rank ?? 0) === 0;
  const { config, out, resumeFrom } = resolveRun(opts);
  if (main) assertSaveTarget(out); // before anything is loaded: a refused folder costs nothing
  const training = await openTrainingImages(config.data, { signal });
  const data = training.images;
  signal.throwIfAborted();
  const resume = resumeFrom ? loadResume(resumeFrom, config) : undefined;
  if (resume && main) process.stderr.write(`missing-u: resuming ${resumeFrom} from step ${resume.state.step}\n`);
  const show = main ? progressPrinter('train', config.train.steps, { start: resume?.state.step ?? 0 }) : () => {};
  const { train: t } = config;
  let lastLoss: number | null = null;
  const state = (step: number, aborted: boolean): CheckpointState => ({
    step,
    imageSize: data.shape[2],
    channels: data.shape[1],
    seed: t.seed,
    aborted,
    lastLoss,
    savedAt: new Date().toISOString(),
  });
  const result = await trainParsed({ model: config.model, diffusion: config.diffusion, train: config.train }, training, {
    signal,
    onProgress: (p) => {
      lastLoss = p.loss;
      show(p.step, p.skipped ? `skipped (loss scale now ${p.lossScale})` : `loss ${p.loss.toFixed(4)}`);
    },
    onCheckpoint: main
      ? (snapshot) => {
          try {
            const { model, ema, state: trainer } = snapshot;
            saveCheckpoint(out, { model, ema, config, trainer, state: state(trainer.step, false) });
          } catch (err) {
            process.stderr.write(
              `\nmissing-u: the checkpoint of step ${snapshot.state.step} was not saved (training goes on; ` +
                `${out} keeps the last one): ${(err as Error).message}\n`,
            );
          }
        }
      : undefined,
    resume,
    distributed,
  }).finally(() => {
    if (resume) {
      resume.model.dispose();
      resume.ema.dispose();
      disposeTrainerState(resume.state);
    }
  });
  const step = result.state.step;
  try {
    // Every rank holds the same weights; rank 0 alone writes them and reports.
    if (!main) return;
    saveCheckpoint(out, {
      model: result.model,
      ema: result.ema,
      config,
      trainer: result.state,
      state: state(step, result.aborted),
    });
  } finally {
    result.model.dispose();
    result.ema.dispose();
    disposeTrainerState(result.state);
  }
  const summary = { checkpoint: out, steps: step, aborted: result.aborted, lastLoss };
  process.stdout.write(
    opts.json ? `${JSON.stringify(summary)}\n` : `saved ${summary.checkpoint} after ${step} steps\n`,
  );
}
