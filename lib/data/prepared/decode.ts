import type Sharp from 'sharp';

import { MissingUError } from '../../errors';
import { loadModule } from '../../optional-module';
import type { ResizeRule } from './manifest';

/** The shape every prepared image is brought to. */
export interface TargetShape {
  imageSize: number;
  channels: 1 | 3;
  resize: ResizeRule;
}

/** Interleaved (HWC) pixels to channel planes (CHW), the prepared layout. */
export function hwcToChw(hwc: Uint8Array, side: number, channels: number): Buffer {
  if (channels === 1) return Buffer.from(hwc.buffer, hwc.byteOffset, hwc.byteLength);
  const chw = Buffer.allocUnsafe(hwc.length);
  const plane = side * side;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) chw[c * plane + p] = hwc[p * channels + c];
  }
  return chw;
}

function pipeline(image: Sharp.Sharp, target: TargetShape): Promise<Buffer> {
  const { imageSize: size, channels, resize } = target;
  // The same operations, in the same order, as loadImageFolder's, so the bytes are the same.
  const fit = resize === 'cover' ? ({ fit: 'cover', position: 'centre' } as const) : ({ fit: 'fill' } as const);
  const resized = image.resize(size, size, fit).removeAlpha();
  return (channels === 1 ? resized.toColourspace('b-w') : resized.toColourspace('srgb')).raw().toBuffer();
}

function checkLength(raw: Buffer, target: TargetShape, what: string): Buffer {
  const expected = target.imageSize * target.imageSize * target.channels;
  if (raw.length !== expected) {
    throw new MissingUError(`${what} decoded to ${raw.length} bytes, expected ${expected}`, { code: 'format' });
  }
  return hwcToChw(raw, target.imageSize, target.channels);
}

/** An encoded PNG/JPEG/WebP image, resized and converted by `target`, as CHW bytes. Rejects what sharp cannot decode. */
export async function decodeImage(bytes: Uint8Array, target: TargetShape, what: string): Promise<Buffer> {
  const sharp = loadModule<typeof Sharp>('sharp', 'preparing image datasets');
  return checkLength(await pipeline(sharp(bytes), target), target, what);
}

/** Grey HxW bytes (an MNIST digit) at the target shape, as CHW bytes; no resampling when the size already fits. */
export async function resizeGrey(
  grey: Uint8Array,
  height: number,
  width: number,
  target: TargetShape,
): Promise<Buffer> {
  if (height === target.imageSize && width === target.imageSize) {
    if (target.channels === 1) return Buffer.from(grey);
    return Buffer.concat([grey, grey, grey]);
  }
  const sharp = loadModule<typeof Sharp>('sharp', 'resizing MNIST digits');
  const raw = await pipeline(sharp(grey, { raw: { width, height, channels: 1 } }), target);
  return checkLength(raw, target, 'an MNIST digit');
}
