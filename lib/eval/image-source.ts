import fs from 'node:fs';
import path from 'node:path';

import { loadDenoiser } from '../checkpoint/load-denoiser';
import { readSafetensors } from '../io/safetensors';
import { loadImageFolder } from '../data/image-folder';
import { imageRange } from '../data/image-range';
import { loadMnistPackage } from '../data/mnist-package';
import type { Device } from '../device';
import { sample } from '../diffusion';
import { MissingUError } from '../errors';
import type { Precision } from '../schemas/precision';
import type { GivenReverse } from '../schemas/reverse-defaults';
import type { Tensor } from '../tensor';
import { IMAGES_WHY, requireFinite } from './finite';

/**
 * Where images come from and, for a checkpoint, how to sample them: sampler, steps, spacing, eta and
 * seed left out as sample() leaves them (docs/guide.md, "The reverse process").
 */
export interface ImageSourceOptions extends GivenReverse {
  /** At most this many images (a checkpoint generates exactly this many; default 64 there). */
  n?: number;
  /** For image folders: the side and channels to load them at (default: 64 and 3). */
  imageSize?: number;
  channels?: 1 | 3;
  precision?: Precision;
  device?: Device;
  onProgress?: (p: { step: number; total: number }) => void;
}

function take(data: Float32Array, shape: readonly number[], n: number | undefined): Tensor {
  return imageRange(data, shape, 0, Math.min(shape[0], n ?? shape[0]));
}

/**
 * Images (N, C, H, W) in [-1, 1] from a source named on the command line:
 * `mnist` (the embedded digits), a `.safetensors` file (`sample --tensor-out`), a checkpoint
 * folder (its EMA weights generate them) or a folder of PNG/JPEG/WebP images.
 */
export async function loadImageSource(source: string, opts: ImageSourceOptions = {}): Promise<Tensor> {
  if (source === 'mnist') {
    const mnist = loadMnistPackage(opts.n);
    return take(mnist.data, mnist.shape, opts.n);
  }
  if (!fs.existsSync(source)) {
    throw new MissingUError(
      `image source ${source} does not exist: give 'mnist', a .safetensors file, a checkpoint folder or an image folder`,
    );
  }
  if (source.endsWith('.safetensors')) {
    const { tensors } = readSafetensors(source);
    const names = Object.keys(tensors);
    const name = names.includes('samples') ? 'samples' : names.length === 1 ? names[0] : undefined;
    if (!name) throw new MissingUError(`${source} holds ${names.length} tensors and none is named 'samples'`);
    const t = tensors[name];
    if (t.shape.length !== 4) {
      throw new MissingUError(`${source}: tensor '${name}' is [${t.shape.join(', ')}], not images (N, C, H, W)`);
    }
    // The one source that can hold NaN or Inf (images decode from bytes; sampling refuses them itself).
    const data = t.data as Float32Array;
    const count = Math.min(t.shape[0], opts.n ?? t.shape[0]);
    requireFinite(
      data.subarray(0, (count * data.length) / Math.max(1, t.shape[0])),
      `${source}: tensor '${name}'`,
      IMAGES_WHY,
    );
    return take(data, t.shape, count);
  }
  if (fs.existsSync(path.join(source, 'config.json')) && fs.existsSync(path.join(source, 'ema.safetensors'))) {
    const { denoiser, config, diffusion } = loadDenoiser(source, { device: opts.device });
    try {
      return await sample(denoiser, {
        ...diffusion,
        n: opts.n ?? config.sample.n,
        sampler: opts.sampler,
        steps: opts.steps,
        spacing: opts.spacing,
        eta: opts.eta,
        seed: opts.seed,
        ode: opts.ode,
        precision: opts.precision,
        onProgress: opts.onProgress,
      });
    } finally {
      denoiser.dispose();
    }
  }
  const folder = await loadImageFolder(source, {
    imageSize: opts.imageSize ?? 64,
    channels: opts.channels ?? 3,
    limit: opts.n,
  });
  return take(folder.data, folder.shape, opts.n);
}
