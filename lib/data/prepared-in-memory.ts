import fs from 'node:fs';

import { MissingUError } from '../errors';
import type { ImageDataset } from './dataset';
import { readPreparedManifest } from './prepared/manifest';

/**
 * A prepared dataset read whole into memory as float32 in [-1, 1] (byte b -> b / 127.5 - 1, as training
 * maps it), for evaluating against it. `limit` keeps the first images.
 */
export function readPreparedImages(dir: string, limit?: number): ImageDataset {
  const { manifest, imagesFile, stride } = readPreparedManifest(dir);
  const count = Math.min(manifest.count, limit ?? manifest.count);
  const data = new Float32Array(count * stride);
  const chunk = Buffer.allocUnsafe(Math.min(count * stride, 1 << 24));
  const fd = fs.openSync(imagesFile, 'r');
  try {
    for (let at = 0; at < data.length;) {
      const got = fs.readSync(fd, chunk, 0, Math.min(chunk.length, data.length - at), at);
      if (got === 0) throw new MissingUError(`${imagesFile} was truncated while it was read`, { code: 'format' });
      for (let i = 0; i < got; i++) data[at + i] = chunk[i] / 127.5 - 1;
      at += got;
    }
  } finally {
    fs.closeSync(fd);
  }
  const labels = manifest.labels && Uint8Array.from(manifest.labels.slice(0, count));
  return {
    name: `prepared dataset ${dir}`,
    data,
    shape: [count, manifest.channels, manifest.height, manifest.width],
    labels,
  };
}
