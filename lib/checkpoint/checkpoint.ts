import fs from 'node:fs';
import path from 'node:path';

import type { TrainConfigJson } from '../config/train-config';
import { parseTrainConfig } from '../config/train-config';
import type { Device } from '../device';
import { MissingUError } from '../errors';
import { models, type Denoiser } from '../models';
import { tensor, type Tensor } from '../tensor';
import { syncDirectory, writeFileAtomic } from './atomic';
import { readSafetensors, writeSafetensors, type StoredTensor } from './safetensors';

/** state.json: where a run stands. */
export interface CheckpointState {
  step: number;
  imageSize: number;
  channels: number;
  seed: number;
  aborted: boolean;
  lastLoss: number | null;
  savedAt: string;
}

/*
 * A checkpoint is a folder: model.safetensors and ema.safetensors (the weights, named as the
 * modules register them, e.g. odeblock_down1.odefunc.conv1.weight), config.json and state.json.
 * It is written into a temporary sibling folder and swapped in with renames, so a crash or Ctrl-C
 * during a save leaves the previous checkpoint or the new one, never a mix.
 */

function stateDictOf(model: Denoiser): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  for (const { name, tensor: t } of model.stateDict()) {
    out[name] = { shape: t.shape, data: t.toFloat32Array() };
    t.dispose();
  }
  return out;
}

export function saveCheckpoint(
  dir: string,
  parts: { model: Denoiser; ema: Denoiser; config: TrainConfigJson; state: CheckpointState },
): void {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.saving-`));
  fs.chmodSync(staging, 0o755);
  const metadata = { format: 'missing-u/1', preset: parts.config.model.preset };
  writeSafetensors(path.join(staging, 'model.safetensors'), stateDictOf(parts.model), metadata);
  writeSafetensors(path.join(staging, 'ema.safetensors'), stateDictOf(parts.ema), metadata);
  writeFileAtomic(path.join(staging, 'config.json'), `${JSON.stringify(parts.config, null, 2)}\n`);
  writeFileAtomic(path.join(staging, 'state.json'), `${JSON.stringify(parts.state, null, 2)}\n`);
  const previous = `${target}.previous`;
  fs.rmSync(previous, { recursive: true, force: true });
  if (fs.existsSync(target)) fs.renameSync(target, previous);
  fs.renameSync(staging, target);
  syncDirectory(parent);
  fs.rmSync(previous, { recursive: true, force: true });
}

export interface LoadedCheckpoint {
  model: Denoiser;
  ema: Denoiser;
  config: TrainConfigJson;
  state: CheckpointState;
}

function readJson(file: string): unknown {
  if (!fs.existsSync(file)) throw new MissingUError(`checkpoint file ${file} is missing`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new MissingUError(`checkpoint file ${file} is not valid JSON (corrupt checkpoint?)`);
  }
}

function loadWeights(model: Denoiser, file: string): void {
  const { tensors } = readSafetensors(file);
  const made: Record<string, Tensor> = {};
  try {
    for (const [name, stored] of Object.entries(tensors)) made[name] = tensor(stored.data, stored.shape);
    model.loadStateDict(made);
  } catch (err) {
    throw new MissingUError(`${file}: ${(err as Error).message}`);
  } finally {
    Object.values(made).forEach((t) => t.dispose());
  }
}

export function loadCheckpoint(dir: string, opts: { device?: Device } = {}): LoadedCheckpoint {
  let root = path.resolve(dir);
  // A crash between the two renames of a save leaves only the previous checkpoint.
  if (!fs.existsSync(root) && fs.existsSync(`${root}.previous`)) root = `${root}.previous`;
  if (!fs.existsSync(root)) throw new MissingUError(`checkpoint folder ${dir} does not exist`);
  const config = parseTrainConfig(readJson(path.join(root, 'config.json')), `${root}/config.json`);
  const state = readJson(path.join(root, 'state.json')) as CheckpointState;
  const create = () =>
    models.create({
      preset: config.model.preset,
      device: opts.device ?? 'cpu',
      imageSize: state.imageSize,
      channels: state.channels,
    });
  const model = create();
  const ema = create();
  loadWeights(model, path.join(root, 'model.safetensors'));
  loadWeights(ema, path.join(root, 'ema.safetensors'));
  return { model, ema, config, state };
}
