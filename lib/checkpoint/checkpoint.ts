import fs from 'node:fs';
import path from 'node:path';

import type { TrainConfigJson } from '../config/train-config';
import { parseTrainConfig } from '../config/train-config';
import type { Device } from '../device';
import { MissingUError } from '../errors';
import { models, type Denoiser } from '../models';
import type { NativeTensor } from '../native';
import { tensor, type Tensor } from '../tensor';
import type { StoredTrainerState, TrainerState } from '../train';
import { syncDirectory, writeFileAtomic } from '../io/atomic';
import { describeIoError } from '../io/io-error';
import { readJsonFile, readJsonFileAsync } from '../io/json-file';
import { readSafetensors, readSafetensorsAsync, writeSafetensors, type StoredTensor } from '../io/safetensors';
import {
  assertSaveTarget,
  CHECKPOINT_FORMAT,
  findCheckpoint,
  installStaging,
  makeStaging,
  removeCheckpointFiles,
  removeStaleStaging,
} from './folder';

/** state.json: where a run stands. */
export interface CheckpointState {
  /** CHECKPOINT_FORMAT: marks the folder as a missing-u checkpoint (added on save). */
  format?: string;
  step: number;
  imageSize: number;
  channels: number;
  seed: number;
  aborted: boolean;
  lastLoss: number | null;
  savedAt: string;
  /** The trainer's generator state (base64 of torch's CPU generator state), for --resume. */
  generator?: string;
}

/*
 * A checkpoint is a folder: model.safetensors and ema.safetensors (the weights, named as the
 * modules register them, e.g. odeblock_down1.odefunc.conv1.weight), optimizer.safetensors (Adam's
 * moments as <parameter>.exp_avg and <parameter>.exp_avg_sq, the step in its metadata),
 * config.json and state.json (with the format marker that lets missing-u recognise its own folders).
 * It is written into a staging folder beside the target and swapped in with renames (folder.ts), so
 * a crash or a kill during a save leaves the previous checkpoint or the new one, never a mix.
 */

/** Weights by parameter and buffer name: a model, or a snapshot a run handed to `onCheckpoint`. */
export type Weights = Denoiser | Record<string, StoredTensor>;

function stored(t: NativeTensor | StoredTensor): StoredTensor {
  return 'toFloat32Array' in t ? { shape: t.shape, data: t.toFloat32Array() } : t;
}

function optimizerTensors(state: TrainerState | StoredTrainerState): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  for (const [name, t] of Object.entries(state.expAvg)) out[`${name}.exp_avg`] = stored(t);
  for (const [name, t] of Object.entries(state.expAvgSq)) out[`${name}.exp_avg_sq`] = stored(t);
  return out;
}

function storedWeights(weights: Weights): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  if (typeof (weights as Denoiser).stateDict !== 'function') return weights as Record<string, StoredTensor>;
  for (const { name, tensor: t } of (weights as Denoiser).stateDict()) {
    out[name] = stored(t);
    t.dispose();
  }
  return out;
}

export interface CheckpointParts {
  model: Weights;
  ema: Weights;
  config: TrainConfigJson;
  state: CheckpointState;
  /** Saved as optimizer.safetensors and state.json's generator, so the run can be resumed. */
  trainer?: TrainerState | StoredTrainerState;
}

/**
 * Saves a checkpoint folder, atomically. `dir` must not exist, be empty, or hold a missing-u
 * checkpoint: anything else is refused before a byte is written. Staging folders that earlier,
 * crashed saves left are removed first; a failed save removes its own and names the path.
 */
export function saveCheckpoint(dir: string, parts: CheckpointParts): void {
  const target = path.resolve(dir);
  assertSaveTarget(target);
  removeStaleStaging(target);
  const staging = makeStaging(target);
  try {
    const metadata = { format: 'missing-u/1', preset: parts.config.model.preset };
    writeSafetensors(path.join(staging, 'model.safetensors'), storedWeights(parts.model), metadata);
    writeSafetensors(path.join(staging, 'ema.safetensors'), storedWeights(parts.ema), metadata);
    const state: CheckpointState = { format: CHECKPOINT_FORMAT, ...parts.state };
    if (parts.trainer) {
      const { trainer } = parts;
      writeSafetensors(path.join(staging, 'optimizer.safetensors'), optimizerTensors(trainer), {
        format: 'missing-u/1',
        optimizer: 'adam',
        step: String(trainer.step),
      });
      state.generator = Buffer.from(trainer.generator).toString('base64');
    }
    writeFileAtomic(path.join(staging, 'config.json'), `${JSON.stringify(parts.config, null, 2)}\n`);
    writeFileAtomic(path.join(staging, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
    installStaging(staging, target);
    syncDirectory(path.dirname(target));
  } catch (err) {
    try {
      removeCheckpointFiles(
        staging,
        fs.existsSync(staging) ? fs.readdirSync(staging).filter((f) => f.endsWith('.tmp')) : [],
      );
    } catch {
      // The next save removes what is left (removeStaleStaging).
    }
    if (err instanceof MissingUError) throw err;
    throw new MissingUError(describeIoError(err, 'could not save the checkpoint to', target));
  }
}

export interface LoadedCheckpoint {
  model: Denoiser;
  ema: Denoiser;
  config: TrainConfigJson;
  state: CheckpointState;
}

/**
 * The trainer state of a checkpoint folder (optimizer.safetensors and state.json's generator), to
 * resume its run; a clear error when the checkpoint was saved without one.
 */
export function loadTrainerState(dir: string): TrainerState {
  const root = checkpointRoot(dir);
  const state = readJson(path.join(root, 'state.json')) as CheckpointState;
  const file = path.join(root, 'optimizer.safetensors');
  if (!fs.existsSync(file) || typeof state.generator !== 'string') {
    throw new MissingUError(
      `checkpoint ${dir} has no optimizer state (optimizer.safetensors and state.json's generator), so it ` +
        'cannot be resumed exactly: start a new run, or sample from it as it is',
    );
  }
  const { tensors, metadata } = readSafetensors(file);
  if (Number(metadata.step) !== state.step) {
    throw new MissingUError(
      `${file} is from step ${metadata.step} but state.json says ${state.step}: the checkpoint is inconsistent`,
    );
  }
  const trainer: TrainerState = {
    step: state.step,
    expAvg: {},
    expAvgSq: {},
    generator: new Uint8Array(Buffer.from(state.generator, 'base64')),
  };
  for (const [name, t] of Object.entries(tensors)) {
    const moment = /^(.*)\.(exp_avg|exp_avg_sq)$/.exec(name);
    if (!moment) throw new MissingUError(`${file}: unexpected tensor '${name}' (not an Adam moment)`);
    const target = moment[2] === 'exp_avg' ? trainer.expAvg : trainer.expAvgSq;
    target[moment[1]] = tensor(t.data, t.shape);
  }
  return trainer;
}

function checkpointRoot(dir: string): string {
  const root = findCheckpoint(dir);
  if (root) return root;
  if (!fs.existsSync(dir)) throw new MissingUError(`checkpoint folder ${dir} does not exist`, { code: 'file' });
  const stateFile = path.join(dir, 'state.json');
  if (fs.existsSync(stateFile)) readJson(stateFile); // a corrupt state.json: say that, not "not a checkpoint"
  throw new MissingUError(
    `${dir} is not a missing-u checkpoint (no state.json with "format": "${CHECKPOINT_FORMAT}"); ` +
      'pass the folder that train saved',
    { code: 'format' },
  );
}

function readJson(file: string): unknown {
  return readJsonFile(file, 'checkpoint file', { hint: 'corrupt checkpoint?' });
}

function loadWeights(model: Denoiser, file: string, tensors: Record<string, StoredTensor>): void {
  const made: Record<string, Tensor> = {};
  try {
    for (const [name, stored] of Object.entries(tensors)) made[name] = tensor(stored.data, stored.shape);
    model.loadStateDict(made);
  } catch (err) {
    throw new MissingUError(`${file}: ${(err as Error).message}`, {
      code: err instanceof MissingUError ? err.code : 'format',
      cause: err,
    });
  } finally {
    Object.values(made).forEach((t) => t.dispose());
  }
}

type WeightsFile = { file: string; tensors: Record<string, StoredTensor> };

/** The models a checkpoint describes, with its weights, and the diffusion settings it was trained with. */
function assemble(
  config: TrainConfigJson,
  state: CheckpointState,
  weights: { model: WeightsFile; ema: WeightsFile },
  opts: { device?: Device },
): LoadedCheckpoint {
  const create = () =>
    // The config's model section (preset and layer options) builds the network that was trained.
    models.create({
      ...config.model,
      device: opts.device ?? 'cpu',
      imageSize: state.imageSize,
      channels: state.channels,
      diffusion: {
        schedule: config.diffusion.schedule,
        diffusionSteps: config.diffusion.diffusionSteps,
        objective: config.diffusion.objective,
      },
    });
  const model = create();
  const ema = create();
  try {
    loadWeights(model, weights.model.file, weights.model.tensors);
    loadWeights(ema, weights.ema.file, weights.ema.tensors);
  } catch (err) {
    model.dispose();
    ema.dispose();
    throw err;
  }
  return { model, ema, config, state };
}

/**
 * Loads a checkpoint folder: its models (`ema` is usually the one to sample from), config and
 * state. Both models carry the run's diffusion settings (`diffusion`: objective, schedule, T),
 * which sample, denoise and eval then use. The event loop waits for the reads: see loadCheckpointAsync.
 */
export function loadCheckpoint(dir: string, opts: { device?: Device } = {}): LoadedCheckpoint {
  const root = checkpointRoot(dir);
  const config = parseTrainConfig(readJson(path.join(root, 'config.json')), `${root}/config.json`);
  const state = readJson(path.join(root, 'state.json')) as CheckpointState;
  const read = (name: string): WeightsFile => {
    const file = path.join(root, name);
    return { file, tensors: readSafetensors(file).tensors };
  };
  return assemble(config, state, { model: read('model.safetensors'), ema: read('ema.safetensors') }, opts);
}

/** loadCheckpoint with the files read off the event loop. */
export async function loadCheckpointAsync(dir: string, opts: { device?: Device } = {}): Promise<LoadedCheckpoint> {
  const root = checkpointRoot(dir);
  const readJsonAsync = (name: string) =>
    readJsonFileAsync(path.join(root, name), 'checkpoint file', { hint: 'corrupt checkpoint?' });
  const config = parseTrainConfig(await readJsonAsync('config.json'), `${root}/config.json`);
  const state = (await readJsonAsync('state.json')) as CheckpointState;
  const read = async (name: string): Promise<WeightsFile> => {
    const file = path.join(root, name);
    return { file, tensors: (await readSafetensorsAsync(file)).tensors };
  };
  return assemble(config, state, { model: await read('model.safetensors'), ema: await read('ema.safetensors') }, opts);
}
