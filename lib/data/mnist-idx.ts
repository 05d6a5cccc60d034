import fs from 'node:fs';
import zlib from 'node:zlib';

import { MissingUError } from '../errors';
import type { ImageDataset } from './dataset';

function readMaybeGzip(file: string): Buffer {
  if (!fs.existsSync(file)) throw new MissingUError(`MNIST file ${file} does not exist`);
  const bytes = fs.readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return zlib.gunzipSync(bytes);
    } catch (err) {
      throw new MissingUError(`MNIST file ${file} is a broken gzip: ${(err as Error).message}`);
    }
  }
  return bytes;
}

/**
 * MNIST in its IDX format (train-images-idx3-ubyte, optionally .gz, with the labels file if given),
 * as (N, 1, 28, 28) float32 in [-1, 1].
 */
export function loadMnistIdx(imagesFile: string, labelsFile?: string): ImageDataset {
  const images = readMaybeGzip(imagesFile);
  if (images.length < 16 || images.readUInt32BE(0) !== 0x00000803) {
    throw new MissingUError(`${imagesFile} is not an IDX image file (magic 0x00000803 expected)`);
  }
  const [count, rows, cols] = [images.readUInt32BE(4), images.readUInt32BE(8), images.readUInt32BE(12)];
  if (images.length !== 16 + count * rows * cols) {
    throw new MissingUError(`${imagesFile} should hold ${count} images of ${rows}x${cols} but is truncated`);
  }
  const data = new Float32Array(count * rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = images[16 + i] / 127.5 - 1;
  let labels: Uint8Array | undefined;
  if (labelsFile) {
    const raw = readMaybeGzip(labelsFile);
    if (raw.length !== 8 + count || raw.readUInt32BE(0) !== 0x00000801) {
      throw new MissingUError(`${labelsFile} is not an IDX label file for ${count} images`);
    }
    labels = new Uint8Array(raw.subarray(8));
  }
  return { name: `mnist idx ${imagesFile}`, data, shape: [count, 1, rows, cols], labels };
}
