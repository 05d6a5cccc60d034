import fs from 'node:fs';
import path from 'node:path';

import { Command } from 'commander';

import { loadCheckpoint, loadTrainerState, saveCheckpoint, type CheckpointState } from '../checkpoint/checkpoint';
import { assertSaveTarget, checkpointStep, findCheckpoint, previousOf, realCheckpointPath } from '../checkpoint/folder';
import { acquireCheckpointLock } from '../checkpoint/lock';
import { resolveConfigFile } from '../config/bundled-configs';
import { loadTrainConfig, type TrainConfigJson } from '../config/train-config';
import { openTrainingImages } from '../data/load';
import type { Device } from '../device';
import { distributedFromEnv, type DistributedOptions } from '../distributed';
import { MissingUError } from '../errors';
import { PRECISIONS } from '../schemas/names';
import type { Precision } from '../schemas/precision';
import { TrainSectionSchema } from '../schemas/train-options';
import { disposeTrainerState, trainParsed, type ResumeFrom } from '../train';
import { LAUNCHED_ENV, launchWorkers } from './launch';
import { writeErr, writeOut } from './output';
import { alternatives, precisionOption } from './parse';
import { progressPrinter } from './progress';
import { listenForStop } from './stop-signals';

interface TrainOptions {
  config?: string;
  out?: string;
  steps?: number;
  resume?: string | true;
  checkpointEvery?: number;
  precision?: Precision;
  seed?: number;
  json?: boolean;
  nproc?: number;
  distTimeout?: number;
  overwrite?: boolean;
  override?: boolean;
  stopOnSigpipe?: boolean;
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
    config = loadTrainConfig(resolveConfigFile(opts.config));
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
  if (opts.seed !== undefined) {
    const saved = resumeFrom ? loadTrainConfig(path.join(resumeFrom, 'config.json')).train.seed : undefined;
    if (saved !== undefined && saved !== opts.seed) {
      throw new MissingUError(
        `--seed ${opts.seed}: ${resumeFrom} was trained with seed ${saved}, and a resumed run keeps its seed; drop --seed or start a new run`,
      );
    }
    config.train.seed = opts.seed;
  }
  const out = realCheckpointPath(opts.out ?? resumeDir ?? config.output?.dir ?? path.join('runs', config.name));
  return { config, out, resumeFrom };
}

/**
 * A new run (not one continuing the checkpoint in `out`) writes over a checkpoint only when asked to:
 * refused before anything is loaded, naming --resume and --overwrite.
 */
function assertNewRunMayWrite({ out, resumeFrom }: Run, overwrite: boolean | undefined): void {
  if (overwrite || (resumeFrom !== undefined && (resumeFrom === out || resumeFrom === previousOf(out)))) return;
  const existing = findCheckpoint(out);
  if (existing === undefined) return;
  throw new MissingUError(
    `${out} already holds a checkpoint (step ${checkpointStep(existing)}${existing === out ? '' : `, in ${existing}`}): ` +
      '--resume continues it; --overwrite starts this run there instead and replaces it at its first save; or ' +
      'choose another --out (nothing was changed)',
  );
}

/** The diffusion settings a run keeps: a resumed run that changed one would train another model. */
const KEPT_ON_RESUME = ['objective', 'schedule', 'diffusionSteps'] as const;

function assertSameDiffusion(dir: string, saved: TrainConfigJson, config: TrainConfigJson): void {
  for (const key of KEPT_ON_RESUME) {
    const [was, now] = [saved.diffusion[key], config.diffusion[key]];
    if (was === now) continue;
    throw new MissingUError(
      `--resume: the config sets diffusion.${key} to ${JSON.stringify(now)} but ${dir} was trained with ` +
        `${JSON.stringify(was)}: a run keeps its objective, schedule and diffusionSteps. Start a new run, or give ` +
        '--override to continue this one with the new setting',
    );
  }
}

function loadResume(dir: string, config: TrainConfigJson, override: boolean): ResumeFrom {
  const checkpoint = loadCheckpoint(dir, { device: config.model.device as Device });
  try {
    if (checkpoint.config.model.preset !== config.model.preset) {
      throw new MissingUError(
        `--resume: ${dir} holds a ${checkpoint.config.model.preset} model but the config trains ${config.model.preset}`,
      );
    }
    if (!override) assertSameDiffusion(dir, checkpoint.config, config);
    return { model: checkpoint.model, ema: checkpoint.ema, state: loadTrainerState(dir) };
  } catch (err) {
    checkpoint.model.dispose();
    checkpoint.ema.dispose();
    throw err;
  }
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
    .option(
      '--config <file>',
      'a training config: a JSON file or a bundled name (missing-u configs); default with --resume: the checkpoint’s',
    )
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
      `save a checkpoint every n steps (override train.checkpointEvery, default ${TrainSectionSchema.shape.checkpointEvery.parse(undefined)}; 0: only at the end)`,
      integerOption('--checkpoint-every', 0),
    )
    .option(
      '--precision <p>',
      `override train.precision: ${alternatives(PRECISIONS)} (bf16 on CPUs with avx512_bf16/AMX and CUDA; fp16 on CUDA, with loss scaling)`,
      precisionOption('--precision'),
    )
    .option(
      '--seed <n>',
      'override train.seed (initial weights, batches and noise): train the same recipe again with another seed',
      integerOption('--seed', 0),
    )
    .option('--json', 'print the result as JSON')
    .option('--overwrite', 'start this run in --out even though it holds a checkpoint (replaced at the first save)')
    .option('--override', 'with --resume: continue although the config changes the objective, schedule or T')
    .option('--stop-on-sigpipe', 'a closed output pipe (SIGPIPE) stops the run and saves, as SIGTERM does')
    .option(
      '--nproc <n>',
      'train data-parallel in n local worker processes (Gloo on loopback)',
      integerOption('--nproc', 1),
    )
    .option(
      '--dist-timeout <seconds>',
      'data-parallel: a worker silent this long fails the others (default 300)',
      integerOption('--dist-timeout', 1),
    )
    .addHelpText(
      'after',
      '\nA run saves into its folder every train.checkpointEvery steps and train.checkpointSeconds seconds, and when\n' +
        'SIGINT (Ctrl-C), SIGTERM, SIGHUP or SIGQUIT stops it (exit 130 / 143 / 129 / 131; a second signal quits at\n' +
        'once). Saves are atomic: after a crash or kill -9 the folder (or <folder>.previous) holds the last\n' +
        'checkpoint, and `train --resume DIR --config FILE` continues it, or starts the run when DIR holds none yet.\n' +
        'One run writes a folder at a time: it holds <folder>.lock, which names it, and a second run is refused.\n' +
        '\nData-parallel: with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set (torchrun-style), this process is one\n' +
        'worker; only rank 0 saves. train.batchSize is per worker (the global batch is WORLD_SIZE times it).',
    )
    .action(async (opts: TrainOptions) => {
      if (opts.nproc !== undefined && opts.nproc !== 1 && !process.env[LAUNCHED_ENV]) {
        await launchWorkers(opts.nproc, process.argv.slice(2));
        return;
      }
      const controller = new AbortController();
      const stops = listenForStop(controller, { sigpipe: opts.stopOnSigpipe });
      try {
        await runTraining(opts, controller.signal);
        if (controller.signal.aborted) process.exitCode = stops.exitCode ?? 130;
      } catch (err) {
        const abortError = (err as Error).name === 'AbortError' || (err as { code?: string }).code === 'aborted';
        if (controller.signal.aborted && abortError) {
          writeErr('missing-u: stopped before training began; nothing was saved\n');
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
  // Rank 0 alone writes, under the folder's lock; what the folder holds is read again once it is held.
  const lock = main ? acquireCheckpointLock(resolveRun(opts).out) : undefined;
  try {
    await trainLocked(opts, signal, distributed, resolveRun(opts));
  } finally {
    lock?.release();
  }
}

async function trainLocked(
  opts: TrainOptions,
  signal: AbortSignal,
  distributed: DistributedOptions | undefined,
  run: Run,
): Promise<void> {
  const main = (distributed?.rank ?? 0) === 0;
  const { config, out, resumeFrom } = run;
  if (main) {
    // Before anything is loaded: a refused folder costs nothing.
    assertNewRunMayWrite(run, opts.overwrite);
    assertSaveTarget(out);
  }
  const training = await openTrainingImages(config.data, { signal });
  const data = training.images;
  signal.throwIfAborted();
  const resume = resumeFrom ? loadResume(resumeFrom, config, opts.override ?? false) : undefined;
  if (resume && main) writeErr(`missing-u: resuming ${resumeFrom} from step ${resume.state.step}\n`);
  const show = main ? progressPrinter('train', config.train.steps, { start: resume?.state.step ?? 0 }) : () => {};
  const { train: t } = config;
  let lastLoss: number | null = null;
  let applied = 0;
  const state = (step: number, aborted: boolean): CheckpointState => ({
    step,
    imageSize: data.shape[2],
    channels: data.shape[1],
    seed: t.seed,
    aborted,
    lastLoss,
    savedAt: new Date().toISOString(),
  });
  const save = { overwrite: opts.overwrite };
  const result = await trainParsed(
    { model: config.model, diffusion: config.diffusion, train: config.train },
    training,
    {
      signal,
      onProgress: (p) => {
        lastLoss = p.loss;
        if (!p.skipped) applied++;
        // Waiting for data is shown once it is long enough to matter.
        const waited = p.dataWaitSeconds >= 0.1 ? `, waited ${p.dataWaitSeconds.toFixed(1)} s for data` : '';
        show(p.step, (p.skipped ? `skipped (loss scale now ${p.lossScale})` : `loss ${p.loss.toFixed(4)}`) + waited);
      },
      onCheckpoint: main
        ? (snapshot) => {
            const step = snapshot.state.step;
            try {
              // Weights no step has changed yet are no progress to save (every step so far skipped).
              if (applied === 0) throw new MissingUError('every step so far was skipped by the loss scaler');
              const { model, ema, state: trainer } = snapshot;
              saveCheckpoint(out, { model, ema, config, trainer, state: state(step, false) }, save);
            } catch (err) {
              writeErr(
                `\nmissing-u: the checkpoint of step ${step} was not saved (training goes on; ` +
                  `${out} keeps the last one): ${(err as Error).message}\n`,
              );
            }
          }
        : undefined,
      resume,
      distributed,
    },
  )
    .catch((err: unknown) => {
      throw resume ? namingStateFile(err, resumeFrom as string) : err;
    })
    .finally(() => {
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
    saveCheckpoint(
      out,
      { model: result.model, ema: result.ema, config, trainer: result.state, state: state(step, result.aborted) },
      save,
    );
  } finally {
    result.model.dispose();
    result.ema.dispose();
    disposeTrainerState(result.state);
  }
  const summary = { checkpoint: out, steps: step, aborted: result.aborted, lastLoss };
  writeOut(opts.json ? `${JSON.stringify(summary)}\n` : `saved ${summary.checkpoint} after ${step} steps\n`);
}

/** The trainer refuses a resumed generator state it cannot take: say which file it came from. */
function namingStateFile(err: unknown, dir: string): unknown {
  if (!(err instanceof Error) || !/generator/i.test(err.message)) return err;
  return new MissingUError(`${path.join(dir, 'state.json')}: its generator state cannot be resumed: ${err.message}`, {
    code: 'format',
    cause: err,
  });
}
