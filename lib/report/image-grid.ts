import fs from 'node:fs';
import path from 'node:path';

import type Sharp from 'sharp';

import { MissingUError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { loadModule } from '../optional-module';
import type { Tensor } from '../tensor';

/**
 * Writes images (N, C, H, W) with values in [-1, 1] as one PNG grid, `columns` wide (default: a
 * square), with `padding` pixels between tiles. C is 1 (grey) or 3 (RGB).
 */
export async function writeImageGrid(images: Tensor, file: string, opts: { columns?: number; padding?: number } = {}) {
  const [n, c, h, w] = images.shape;
  if (images.shape.length !== 4 || (c !== 1 && c !== 3)) {
    throw new MissingUError(`an image grid needs (N, 1 or 3, H, W) images, got [${images.shape.join(', ')}]`);
  }
  const columns = opts.columns ?? Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / columns);
  const pad = opts.padding ?? 2;
  const width = columns * (w + pad) + pad;
  const height = rows * (h + pad) + pad;
  const pixels = Buffer.alloc(width * height * c, 0);
  const data = images.toFloat32Array();
  for (let i = 0; i < n; i++) {
    const top = pad + Math.floor(i / columns) * (h + pad);
    const left = pad + (i % columns) * (w + pad);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          const v = data[((i * c + ch) * h + y) * w + x];
          pixels[((top + y) * width + left + x) * c + ch] = Math.round(Math.min(1, Math.max(-1, v)) * 127.5 + 127.5);
        }
      }
    }
  }
  const sharp = loadModule<typeof Sharp>('sharp', 'writing PNG images');
  const png = await sharp(pixels, { raw: { width, height, channels: c } })
    .png()
    .toBuffer();
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomic(file, png);
}
