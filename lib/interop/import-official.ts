import path from 'node:path';

import { saveCheckpoint } from '../checkpoint/checkpoint';
import { parseTrainConfig } from '../config/train-config';
import { noiseSchedule } from '../diffusion';
import type { DiffusionSettings, Objective, Schedule } from '../diffusion-settings';
import { MissingUError } from '../errors';
import type { StoredTensor } from '../io/safetensors';
import { models } from '../models';
import { MAX_DIFFUSION_STEPS } from '../schemas/diffusion-options';
import { SCHEDULES } from '../schemas/names';
import type { StoredTrainerState } from '../train';
import { readOfficialFile, type OfficialFile } from './official-file';

/** The presets whose parameter names are the official classes' (ConvSODEUNet, lucidrains Unet). */
export type OfficialPreset = 'cunet-paper' | 'unet-paper';

export interface ImportOfficialOptions {
  /** cunet-paper for ConvSODEUNet, unet-paper for Unet(dim=64, dim_mults=(1, 2, 4, 8)). */
  preset: OfficialPreset;
  /** The checkpoint folder to write: new, empty, or a missing-u checkpoint (replaced). */
  out: string;
  /** The image side it was trained on (not in the file); default the preset's (64). */
  imageSize?: number;
  /** The image folder a resumed run trains on (config.json's data.path); default 'images'. */
  data?: string;
}

export interface ImportedOfficial {
  out: string;
  step: number;
  /** The network's width (ConvSODEUNet num_filters, Unet dim), read from its first convolution. */
  width: number;
  channels: number;
  diffusion: DiffusionSettings;
  /** Parameters whose Adam moments came from the file ('opt'); the rest start at zero. */
  adamMoments: number;
  tensors: number;
  version: string | null;
}

// The tensor that gives the width (output channels) and the image channels of each family.
const WIDTH_FROM: Record<OfficialPreset, { name: string; channelsDim: number; channelsFrom?: string }> = {
  'cunet-paper': { name: 'initial_velocity.conv1.weight', channelsDim: 0, channelsFrom: 'classifier.weight' },
  'unet-paper': { name: 'init_conv.weight', channelsDim: 1 },
};

function sizes(file: OfficialFile, preset: OfficialPreset): { width?: number; channels?: number } {
  const rule = WIDTH_FROM[preset];
  const first = file.ema.get(rule.name);
  const channelsTensor = file.ema.get(rule.channelsFrom ?? rule.name);
  return { width: first?.shape[0], channels: channelsTensor?.shape[rule.channelsDim] };
}

const shapeText = (shape: number[]) => `[${shape.join(', ')}]`;

/** The first tensor whose name or shape differs between the file and a missing-u model, named. */
function checkNames(file: string, official: Map<string, StoredTensor>, ours: Map<string, number[]>, preset: string) {
  for (const [name, t] of official) {
    const shape = ours.get(name);
    if (!shape) {
      throw new MissingUError(
        `${file} does not match preset ${preset}: its tensor 'model.${name}' ${shapeText(t.shape)} has no ` +
          `counterpart in a ${preset} model (is it a checkpoint of the other network? use --preset ` +
          `${preset === 'cunet-paper' ? 'unet-paper' : 'cunet-paper'})`,
        { code: 'shape' },
      );
    }
    if (shapeText(shape) !== shapeText(t.shape)) {
      throw new MissingUError(
        `${file} does not match preset ${preset}: tensor 'model.${name}' is ${shapeText(t.shape)} in the file ` +
          `but ${shapeText(shape)} in a ${preset} model`,
        { code: 'shape' },
      );
    }
  }
  for (const [name, shape] of ours) {
    if (!official.has(name)) {
      throw new MissingUError(
        `${file} does not match preset ${preset}: it has no tensor 'model.${name}' ${shapeText(shape)}, which a ` +
          `${preset} model has`,
        { code: 'shape' },
      );
    }
  }
}

/** Which of linear, cosine, sigmoid the stored betas are (to float32 rounding), and T. */
function scheduleOf(file: string, betas: StoredTensor | undefined): { schedule: Schedule; diffusionSteps: number } {
  if (!betas) return { schedule: 'sigmoid', diffusionSteps: 1000 }; // the official defaults
  const diffusionSteps = betas.data.length;
  if (betas.shape.length !== 1 || diffusionSteps < 2 || diffusionSteps > MAX_DIFFUSION_STEPS) {
    throw new MissingUError(
      `${file}: its betas have shape ${shapeText(betas.shape)}; a noise schedule has T in [2, ${MAX_DIFFUSION_STEPS}] steps`,
      { code: 'format' },
    );
  }
  for (const schedule of SCHEDULES) {
    const ours = noiseSchedule(schedule, diffusionSteps).betas;
    // float32 storage and the official float32/float64 mix differ from ours by ~1e-5 relative at most
    if (ours.every((b, i) => Math.abs(b - betas.data[i]) <= 1e-6 + 1e-4 * Math.abs(b))) {
      return { schedule, diffusionSteps };
    }
  }
  throw new MissingUError(
    `${file}: its betas (T = ${diffusionSteps}) match none of missing-u's schedules (${SCHEDULES.join(', ')} with ` +
      'the official parameters); a custom schedule cannot be imported',
    { code: 'format' },
  );
}

/**
 * The objective, from GaussianDiffusion's loss_weight (pred_noise: snr/snr = 1, pred_x0: snr,
 * pred_v: snr/(snr+1), before any Min-SNR clipping), read where snr is near 0.25 (never clipped).
 */
function objectiveOf(buffers: Map<string, StoredTensor>): Objective {
  const weight = buffers.get('loss_weight');
  const abar = buffers.get('alphas_cumprod');
  if (!weight || !abar) return 'v'; // the official default
  let at = 0;
  let best = Infinity;
  abar.data.forEach((a, i) => {
    const distance = Math.abs(Math.log(a / (1 - a) / 0.25));
    if (distance < best) [best, at] = [distance, i];
  });
  const snr = abar.data[at] / (1 - abar.data[at]);
  const candidates: Array<[Objective, number]> = [
    ['eps', 1],
    ['x0', snr],
    ['v', snr / (snr + 1)],
  ];
  const found = candidates.reduce((a, b) =>
    Math.abs(b[1] - weight.data[at]) < Math.abs(a[1] - weight.data[at]) ? b : a,
  );
  return found[0];
}

/** Adam's moments by missing-u parameter name: from the file where the shapes match, zero elsewhere. */
function adamState(official: OfficialFile, parameters: Array<{ name: string; shape: number[]; trainable: boolean }>) {
  const names = [...official.online.keys()]; // GaussianDiffusion.parameters() order: its network's, in file order
  const state: StoredTrainerState = { step: official.step, expAvg: {}, expAvgSq: {}, generator: new Uint8Array() };
  const fromFile = new Map<string, { expAvg: StoredTensor; expAvgSq: StoredTensor }>();
  if (official.adam && official.adam.params.length === names.length) {
    official.adam.params.forEach((index, position) => {
      const moments = official.adam?.moments.get(index);
      if (moments) fromFile.set(names[position], moments);
    });
  }
  let matched = 0;
  for (const { name, shape, trainable } of parameters) {
    if (!trainable) continue;
    const moments = fromFile.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (moments && shapeText(moments.expAvg.shape) === shapeText(shape)) {
      state.expAvg[name] = moments.expAvg;
      state.expAvgSq[name] = moments.expAvgSq;
      matched++;
    } else {
      state.expAvg[name] = { shape, data: new Float32Array(size) };
      state.expAvgSq[name] = { shape, data: new Float32Array(size) };
    }
  }
  return { state, matched };
}

const asRecord = (tensors: Map<string, StoredTensor>): Record<string, StoredTensor> => Object.fromEntries(tensors);

/**
 * Imports a checkpoint of the official cDDPM code (Trainer.save's model-N.pt) as a missing-u
 * checkpoint folder: the online and EMA networks' weights, the diffusion settings (objective from
 * the stored loss weights, schedule and T from the stored betas; the official defaults pred_v,
 * sigmoid, 1000 when absent) and Adam's moments, so the folder samples, denoises, evaluates and
 * resumes training. Read with libtorch's unpickler: no Python. A file that is not such a checkpoint,
 * or one whose tensors do not match the preset, is a MissingUError naming the first mismatch.
 */
export async function importOfficial(file: string, opts: ImportOfficialOptions): Promise<ImportedOfficial> {
  if (opts.preset !== 'cunet-paper' && opts.preset !== 'unet-paper') {
    throw new MissingUError(`importOfficial: preset must be cunet-paper or unet-paper, got '${String(opts.preset)}'`);
  }
  const official = await readOfficialFile(file);
  const { width, channels } = sizes(official, opts.preset);
  const diffusion: DiffusionSettings = {
    ...scheduleOf(file, official.buffers.get('betas')),
    objective: objectiveOf(official.buffers),
  };
  using model = models.create({ preset: opts.preset, width, channels, imageSize: opts.imageSize, seed: 0 });
  const ours = new Map(model.parameters().map((p) => [p.name, p.shape]));
  for (const { name, tensor } of model.stateDict()) {
    if (!ours.has(name)) ours.set(name, tensor.shape);
    tensor.dispose();
  }
  checkNames(file, official.ema, ours, opts.preset);
  checkNames(file, official.online, ours, opts.preset);
  const { state, matched } = adamState(official, model.parameters());
  const config = parseTrainConfig(
    {
      name: path.basename(path.resolve(opts.out)),
      model: { preset: opts.preset, width },
      data: {
        source: 'image-folder',
        path: opts.data ?? 'images',
        imageSize: model.imageSize,
        channels: model.channels,
      },
      diffusion,
      train: {
        steps: Math.max(official.step, 1),
        batchSize: 32,
        lr: official.adam?.lr,
        betas: official.adam?.betas,
      },
    },
    'the imported config',
  );
  saveCheckpoint(opts.out, {
    model: asRecord(official.online),
    ema: asRecord(official.ema),
    config,
    trainer: state,
    state: {
      step: official.step,
      imageSize: model.imageSize,
      channels: model.channels,
      seed: 0,
      aborted: false,
      lastLoss: null,
      savedAt: new Date().toISOString(),
    },
  });
  return {
    out: path.resolve(opts.out),
    step: official.step,
    width: width ?? 0,
    channels: model.channels,
    diffusion,
    adamMoments: matched,
    tensors: official.ema.size,
    version: official.version ?? null,
  };
}
