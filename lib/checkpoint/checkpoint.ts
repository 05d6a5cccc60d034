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
import {
  readSafetensors,
  readSafetensorsAsync,
  writeSafetensors,
  type HeaderCheck,
  type StoredTensor,
} from '../io/safetensors';
import {
  assertSaveTarget,
  CHECKPOINT_FORMAT,
  findCheckpoint,
  installStaging,
  makeStaging,
  realCheckpointPath,
  removeCheckpointFiles,
  removeStaleStaging,
} from './folder';
import { acquireCheckpointLock } from './lock';
import { parseCheckpointState, type CheckpointState } from './state';

export type { CheckpointState } from './state';

/*
 * A checkpoint is a folder: model.safetensors and ema.safetensors (the weights, named as the
 * modules register them, e.g. odeblock_down1.odefunc.conv1.weight), optimizer.safetensors (Adam's
 * moments as <parameter>.exp_avg and <parameter>.exp_avg_sq, the step in its metadata),
 * config.json and state.json (with the format marker that lets missing-u recognise its own folders).
 * It is written into a staging folder beside the target and swapped in with renames (folder.ts), so
 * a crash or a kill during a save leaves the previous checkpoint or the new one, never a mix. One
 * process writes a folder at a time: its lock file `<folder>.lock` (lock.ts) names the writer.
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

export interface SaveCheckpointOptions {
  /**
   * Replace a checkpoint of a later step than `state.step` (a new run over an old one); without it
   * such a save is refused, so that no save deletes a newer checkpoint by mistake.
   */
  overwrite?: boolean;
}

/**
 * Saves a checkpoint folder, atomically. `dir` (a link to a folder is followed: the save writes into its
 * target) must not exist, be empty, or hold a missing-u checkpoint: anything else is refused before a
 * byte is written. The folder's lock is taken for the save unless this process holds it (a run does);
 * another process's lock is a MissingUError naming it. Staging folders that earlier, crashed saves left
 * are removed first; a failed save removes its own and names the path.
 */
export function saveCheckpoint(dir: string, parts: CheckpointParts, opts: SaveCheckpointOptions = {}): void {
  const target = realCheckpointPath(dir);
  const lock = acquireCheckpointLock(target);
  try {
    saveLocked(target, parts, opts);
  } finally {
    lock.release();
  }
}

function saveLocked(target: string, parts: CheckpointParts, opts: SaveCheckpointOptions): void {
  assertSaveTarget(target, { step: parts.state.step, overwrite: opts.overwrite });
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
  const state = readState(root);
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

const readState = (root: string) =>
  parseCheckpointState(readJson(path.join(root, 'state.json')), path.join(root, 'state.json'));

/** A checkpoint's config.json, validated: a bad field is a 'format' error naming the file. */
function parseConfig(value: unknown, root: string): TrainConfigJson {
  try {
    return parseTrainConfig(value, `checkpoint file ${path.join(root, 'config.json')}`);
  } catch (err) {
    if (!(err instanceof MissingUError)) throw err;
    throw new MissingUError(err.message, { code: 'format', cause: err });
  }
}

/** What a model is, as the native loader names it: preset, width, channels and image side. */
function describeModel(model: Denoiser): string {
  const width = model.width > 0 ? ` (width ${model.width})` : '';
  return `${model.preset}${width} for ${model.channels}x${model.imageSize}x${model.imageSize} images`;
}

/**
 * A check of a weights file's header against `model`'s tensor names and shapes, so that a file of
 * another model is refused before its data is read (the shapes are read off views of the weights).
 */
function tensorsOf(model: Denoiser, file: string): HeaderCheck {
  const expected = new Map<string, number[]>();
  for (const { name, tensor: t } of model.stateDict()) {
    expected.set(name, [...t.shape]);
    t.dispose();
  }
  const refuse = (why: string) => new MissingUError(`${file}: ${why}`, { code: 'shape' });
  return ({ tensors }) => {
    const found = new Map(tensors.map((t) => [t.name, t.shape]));
    for (const [name, shape] of expected) {
      const given = found.get(name);
      if (!given) throw refuse(`the checkpoint has no tensor '${name}' for ${describeModel(model)}`);
      if (given.join() !== shape.join()) {
        throw refuse(
          `tensor '${name}' has shape [${given.join(', ')}] in the checkpoint but [${shape.join(', ')}] in a ` +
            `${describeModel(model)}: was it trained with other options?`,
        );
      }
    }
    const unknown = tensors.find((t) => !expected.has(t.name));
    if (unknown) throw refuse(`tensor '${unknown.name}' is not one of ${describeModel(model)} (another model's file?)`);
  };
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

/** A model a checkpoint describes (weights not yet loaded), with its diffusion settings and `sample` section. */
function createModel(config: TrainConfigJson, state: CheckpointState, opts: { device?: Device }): Denoiser {
  // The config's model section (preset and layer options) builds the network that was trained.
  const created = models.create({
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
  created.sampling = { ...config.sample };
  return created;
}

/** The model and EMA models a checkpoint describes. */
function createModels(
  config: TrainConfigJson,
  state: CheckpointState,
  opts: { device?: Device },
): [Denoiser, Denoiser] {
  const model = createModel(config, state, opts);
  try {
    return [model, createModel(config, state, opts)];
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Each model of the pair with the weights file it loads from. */
function weightFiles(root: string, [model, ema]: [Denoiser, Denoiser]) {
  return [
    { model, file: path.join(root, 'model.safetensors') },
    { model: ema, file: path.join(root, 'ema.safetensors') },
  ];
}

function loadFrom(root: string, opts: { device?: Device }): LoadedCheckpoint {
  const config = parseConfig(readJson(path.join(root, 'config.json')), root);
  const state = readState(root);
  const pair = createModels(config, state, opts);
  try {
    for (const { model, file } of weightFiles(root, pair)) {
      loadWeights(model, file, readSafetensors(file, { check: tensorsOf(model, file) }).tensors);
    }
  } catch (err) {
    pair.forEach((m) => m.dispose());
    throw err;
  }
  return { model: pair[0], ema: pair[1], config, state };
}

async function loadFromAsync(root: string, opts: { device?: Device }): Promise<LoadedCheckpoint> {
  const readJsonAsync = (name: string) =>
    readJsonFileAsync(path.join(root, name), 'checkpoint file', { hint: 'corrupt checkpoint?' });
  const config = parseConfig(await readJsonAsync('config.json'), root);
  const state = parseCheckpointState(await readJsonAsync('state.json'), path.join(root, 'state.json'));
  const pair = createModels(config, state, opts);
  try {
    for (const { model, file } of weightFiles(root, pair)) {
      loadWeights(model, file, (await readSafetensorsAsync(file, { check: tensorsOf(model, file) })).tensors);
    }
  } catch (err) {
    pair.forEach((m) => m.dispose());
    throw err;
  }
  return { model: pair[0], ema: pair[1], config, state };
}

const READ_ATTEMPTS = 3;

function stateText(root: string): string | undefined {
  try {
    return fs.readFileSync(path.join(root, 'state.json'), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * One read of the checkpoint in `dir`. Readers take no lock (a run never waits for them), so a save may
 * replace the folder while one reads it: every save writes a new state.json, and when it changed (or
 * went, with the recovery copy a read began in) the read is done again, never returning the files of
 * two saves or failing on a removed copy.
 */
function beginRead(dir: string, attempt: number) {
  const root = checkpointRoot(dir);
  const before = stateText(root);
  return { root, replaced: () => attempt < READ_ATTEMPTS && stateText(root) !== before };
}

type Outcome<T = LoadedCheckpoint> = { ok: true; loaded: T } | { ok: false; error: unknown };

/** What a read came to: what it loaded, or undefined to read again (a save replaced the folder meanwhile). */
function settle<T extends { ema: Denoiser; model?: Denoiser }>(
  read: ReturnType<typeof beginRead>,
  outcome: Outcome<T>,
): T | undefined {
  const again = read.replaced();
  if (!again && outcome.ok) return outcome.loaded;
  if (!again && !outcome.ok) throw outcome.error;
  if (outcome.ok) {
    outcome.loaded.model?.dispose();
    outcome.loaded.ema.dispose();
  }
  return undefined;
}

function outcomeOf<T>(load: () => T): Outcome<T> {
  try {
    return { ok: true, loaded: load() };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Loads a checkpoint folder: its models (`ema` is usually the one to sample from), config and
 * state. Both models carry the run's diffusion settings (`diffusion`: objective, schedule, T) and
 * its config's `sample` section (`sampling`), which sample, denoise and eval then use. A link to a checkpoint folder is followed. Each weights file
 * is checked against the model (names, shapes) from its header before its data is read. A save that
 * replaces the folder meanwhile makes it read again. The event loop waits for the reads: see
 * loadCheckpointAsync.
 */
export function loadCheckpoint(dir: string, opts: { device?: Device } = {}): LoadedCheckpoint {
  return readSettled(dir, (root) => loadFrom(root, opts));
}

/** `load` of the checkpoint in `dir`, read again while a save replaces the folder under it. */
function readSettled<T extends { ema: Denoiser; model?: Denoiser }>(dir: string, load: (root: string) => T): T {
  for (let attempt = 1; ; attempt++) {
    const read = beginRead(dir, attempt);
    const loaded = settle(
      read,
      outcomeOf(() => load(read.root)),
    );
    if (loaded) return loaded;
  }
}

/** A checkpoint's EMA weights (what sampling uses), config and state. */
export type LoadedEma = Omit<LoadedCheckpoint, 'model'>;

function loadEmaFrom(root: string, opts: { device?: Device }): LoadedEma {
  const config = parseConfig(readJson(path.join(root, 'config.json')), root);
  const state = readState(root);
  const ema = createModel(config, state, opts);
  try {
    const file = path.join(root, 'ema.safetensors');
    loadWeights(ema, file, readSafetensors(file, { check: tensorsOf(ema, file) }).tensors);
  } catch (err) {
    ema.dispose();
    throw err;
  }
  return { ema, config, state };
}

/**
 * loadCheckpoint's EMA model alone: model.safetensors is never read, so a folder kept for evaluation
 * may hold only ema.safetensors beside config.json and state.json (such a folder cannot be resumed).
 */
export function loadCheckpointEma(dir: string, opts: { device?: Device } = {}): LoadedEma {
  return readSettled(dir, (root) => loadEmaFrom(root, opts));
}

/** loadCheckpoint with the files read off the event loop. */
export async function loadCheckpointAsync(dir: string, opts: { device?: Device } = {}): Promise<LoadedCheckpoint> {
  for (let attempt = 1; ; attempt++) {
    const read = beginRead(dir, attempt);
    const outcome = await loadFromAsync(read.root, opts).then(
      (loaded): Outcome => ({ ok: true, loaded }),
      (error: unknown): Outcome => ({ ok: false, error }),
    );
    const loaded = settle(read, outcome);
    if (loaded) return loaded;
  }
}
