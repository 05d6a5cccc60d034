import fs from 'node:fs';
import path from 'node:path';

import type Sharp from 'sharp';

import { MissingUError } from '../errors';
import { READ_LIMITS, readBoundedAsync } from '../io/bounded-read';
import { describeIoError } from '../io/io-error';
import { loadModule } from '../optional-module';
import type { CorruptImageAction, ResizeRule } from '../schemas/names';
import type { ImageDataset } from './dataset';

export interface ImageFolderOptions {
  /** Side of the square images. */
  imageSize: number;
  /** 1 (grey) or 3 (RGB, default). */
  channels?: 1 | 3;
  /** 'cover' (default): resize so the short side fits, then center-crop; 'squash': resize to the square. */
  resize?: ResizeRule;
  /** 'skip' (default) reports unreadable images on stderr and goes on; 'fail' stops at the first. */
  onCorrupt?: CorruptImageAction;
  /** Keep at most this many images (in sorted path order). */
  limit?: number;
}

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

function listImages(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new MissingUError(describeIoError(err, 'could not list the image folder', dir), { code: 'file' });
  }
  return entries
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listImages(full);
      return EXTENSIONS.has(path.extname(entry.name).toLowerCase()) ? [full] : [];
    })
    .sort();
}

/**
 * Every PNG/JPEG/WebP under `dir` (recursively) as (N, C, S, S) float32 in [-1, 1], in memory: for small
 * sets (training reads large ones from a prepared file: `missing-u data prepare`). Images that cannot be
 * decoded are reported by path, then skipped or fatal as `onCorrupt` says.
 */
export async function loadImageFolder(dir: string, opts: ImageFolderOptions): Promise<ImageDataset> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new MissingUError(`image folder ${dir} does not exist (give data.path a folder of PNG/JPEG/WebP images)`);
  }
  const channels = opts.channels ?? 3;
  const size = opts.imageSize;
  let files = listImages(dir);
  if (opts.limit !== undefined) files = files.slice(0, opts.limit);
  if (files.length === 0) throw new MissingUError(`image folder ${dir} holds no .png, .jpg, .jpeg or .webp files`);
  const pixels = size * size * channels;
  const images: Float32Array[] = [];
  const skipped: string[] = [];
  const sharp = loadModule<typeof Sharp>('sharp', 'reading image folders');
  for (const file of files) {
    let raw: Buffer;
    try {
      // Through the bounded reader, so a FIFO or device named x.png is refused instead of read forever.
      const bytes = await readBoundedAsync(file, 'image', READ_LIMITS.image);
      const fit =
        opts.resize === 'squash' ? ({ fit: 'fill' } as const) : ({ fit: 'cover', position: 'centre' } as const);
      let pipeline = sharp(bytes).resize(size, size, fit).removeAlpha();
      pipeline = channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
      raw = await pipeline.raw().toBuffer();
    } catch (err) {
      const message =
        err instanceof MissingUError ? err.message : `cannot read image ${file}: ${(err as Error).message}`;
      if (opts.onCorrupt === 'fail') throw new MissingUError(message);
      skipped.push(file);
      process.stderr.write(`missing-u: skipping ${message}\n`);
      continue;
    }
    if (raw.length !== pixels) {
      throw new MissingUError(`image ${file} decoded to ${raw.length} bytes, expected ${pixels}`);
    }
    // HWC bytes -> CHW floats in [-1, 1]
    const chw = new Float32Array(pixels);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < channels; c++) {
          chw[(c * size + y) * size + x] = raw[(y * size + x) * channels + c] / 127.5 - 1;
        }
      }
    }
    images.push(chw);
  }
  if (images.length === 0) throw new MissingUError(`no image in ${dir} could be read (${skipped.length} skipped)`);
  const data = new Float32Array(images.length * pixels);
  images.forEach((image, i) => data.set(image, i * pixels));
  return { name: `image folder ${dir}`, data, shape: [images.length, channels, size, size] };
}
