import { saveCheckpoint, type CheckpointState, type SaveCheckpointOptions } from '../../lib/checkpoint/checkpoint';
import { parseTrainConfig } from '../../lib/config/train-config';
import { models } from '../../lib';

/** The config a tiny checkpoint records: unet-mnist, one step. */
export const tinyConfig = parseTrainConfig({ model: { preset: 'unet-mnist' }, train: { steps: 1, batchSize: 1 } });

/** A checkpoint's state.json (before the save adds its format marker). */
export const tinyState: CheckpointState = {
  step: 1,
  imageSize: 28,
  channels: 1,
  seed: 0,
  aborted: false,
  lastLoss: 0.5,
  savedAt: '2026-01-01T00:00:00.000Z',
};

/** Saves a fresh unet-mnist (seeded by `step`) as the checkpoint of `step` in `target`. */
export function saveTiny(target: string, step = 1, opts: SaveCheckpointOptions = {}): void {
  using model = models.create({ preset: 'unet-mnist', imageSize: 28, channels: 1, seed: step });
  saveCheckpoint(target, { model, ema: model, config: tinyConfig, state: { ...tinyState, step } }, opts);
}
