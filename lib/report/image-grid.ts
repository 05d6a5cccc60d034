import fs from 'node:fs';
import path from 'node:path';

import type Sharp from 'sharp';

import { MissingUError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { loadModule } from '../optional-module';
import type { Tensor } from '../tensor';
import { rowLabelsSvg, rowLabelWidth } from './grid-labels';
import { encodeAs, imageFormatFor } from './image-format';

export interface ImageGridOptions {
  /** Tiles per row (default: a square). */
  columns?: number;
  /** Pixels between tiles, before scaling (default 2). */
  padding?: number;
  /**
   * Each pixel is written as scale x scale pixels, by nearest neighbour so that pixels stay sharp. The
   * default is the smallest integer that makes the grid at least MIN_READABLE_WIDTH (256) pixels wide,
   * ceil(256 / unscaled width), lowered where the grid would exceed MAX_GRID_PIXELS, and at least 1:
   * 8 for a single 28 px image (32 px with its padding), 3 for 4 x 4 of them (122 px).
   */
  scale?: number;
  /** One label per row of the grid, drawn to the left of the row (default: no labels). */
  rowLabels?: readonly string[];
}

/** The most pixels a grid may have: sharp's (libvips') default input limit, 16383 x 16383. */
export const MAX_GRID_PIXELS = 0x3fff * 0x3fff;

/** How wide the default scale makes a grid at least, in pixels. */
export const MIN_READABLE_WIDTH = 256;

export interface GridLayout {
  n: number;
  channels: number;
  tileHeight: number;
  tileWidth: number;
  columns: number;
  rows: number;
  padding: number;
  /** The grid's pixels before scaling and labels. */
  width: number;
  height: number;
  scale: number;
  rowLabels: readonly string[];
  /** The label column's width in written pixels; 0 without labels. */
  labelWidth: number;
  /** The written image's size: the scaled grid and the label column. */
  outputWidth: number;
  outputHeight: number;
}

/** The default scale of a grid `width` x `height` pixels before scaling (ImageGridOptions.scale). */
export function defaultGridScale(width: number, height: number): number {
  const readable = Math.ceil(MIN_READABLE_WIDTH / width);
  const largest = Math.floor(Math.sqrt(MAX_GRID_PIXELS / (width * height)));
  return Math.max(1, Math.min(readable, largest));
}

/** Where `n` tiles of (channels, h, w) go; a MissingUError says why a grid cannot hold them. */
export function imageGridLayout(
  n: number,
  [channels, h, w]: readonly number[],
  opts: ImageGridOptions = {},
): GridLayout {
  if (!(Number.isSafeInteger(n) && n >= 1)) {
    throw new MissingUError(`an image grid needs at least one image, got ${n}: give (N, C, H, W) images with N >= 1`);
  }
  if (channels !== 1 && channels !== 3) {
    throw new MissingUError(`an image grid needs 1 (grey) or 3 (RGB) channels, got ${channels}`);
  }
  const columns = opts.columns ?? Math.ceil(Math.sqrt(n));
  const padding = opts.padding ?? 2;
  if (!(Number.isSafeInteger(columns) && columns >= 1)) {
    throw new MissingUError(`an image grid's columns must be an integer >= 1, got ${columns}`);
  }
  if (!(Number.isSafeInteger(padding) && padding >= 0)) {
    throw new MissingUError(`an image grid's padding must be an integer >= 0, got ${padding}`);
  }
  const rows = Math.ceil(n / columns);
  const width = columns * (w + padding) + padding;
  const height = rows * (h + padding) + padding;
  const scale = opts.scale ?? defaultGridScale(width, height);
  if (!(Number.isSafeInteger(scale) && scale >= 1)) {
    throw new MissingUError(`an image grid's scale must be an integer >= 1, got ${scale}`);
  }
  const rowLabels = opts.rowLabels ?? [];
  if (opts.rowLabels && rowLabels.length !== rows) {
    throw new MissingUError(
      `an image grid of ${n} images in ${columns} columns has ${rows} rows, got ${rowLabels.length} row labels`,
    );
  }
  const labelWidth = rowLabels.length ? rowLabelWidth({ labels: rowLabels, tileHeight: h, padding, scale }) : 0;
  return {
    n,
    channels,
    tileHeight: h,
    tileWidth: w,
    columns,
    rows,
    padding,
    width,
    height,
    scale,
    rowLabels,
    labelWidth,
    outputWidth: width * scale + labelWidth,
    outputHeight: height * scale,
  };
}

/** Whether a grid of `layout` is within MAX_GRID_PIXELS; the message says what it would be otherwise. */
export function gridTooLarge(layout: GridLayout): string | null {
  if (layout.outputWidth * layout.outputHeight <= MAX_GRID_PIXELS) return null;
  const scaled = layout.scale > 1 ? ` at scale ${layout.scale}` : '';
  return (
    `an image grid of ${layout.n} images of ${layout.channels}x${layout.tileHeight}x${layout.tileWidth}${scaled} ` +
    `would be ${layout.outputWidth} x ${layout.outputHeight} pixels, more than the 16383 x 16383 an image grid may have`
  );
}

/**
 * An image grid filled batch by batch: one byte per pixel and channel (images are quantised as they come),
 * so a grid of many images never holds them as floats.
 */
export class ImageGrid {
  readonly layout: GridLayout;
  readonly #pixels: Buffer;

  constructor(n: number, imageShape: readonly number[], opts: ImageGridOptions = {}) {
    this.layout = imageGridLayout(n, imageShape, opts);
    const tooLarge = gridTooLarge(this.layout);
    if (tooLarge) throw new MissingUError(`${tooLarge}: write fewer images to one grid`);
    this.#pixels = Buffer.alloc(this.layout.width * this.layout.height * this.layout.channels, 0);
  }

  /** Puts images (B, C, H, W) with values in [-1, 1], row-major, into tiles first, first + 1, ... */
  add(data: Float32Array, first: number): void {
    const { n, channels: c, tileHeight: h, tileWidth: w, columns, padding: pad, width } = this.layout;
    const b = data.length / (c * h * w);
    if (!Number.isInteger(b) || first < 0 || first + b > n) {
      throw new MissingUError(
        `${data.length} values are not whole images ${first}.. of (${c}, ${h}, ${w}) in an image grid of ${n}`,
        { code: 'internal' },
      );
    }
    const pixels = this.#pixels;
    for (let i = 0; i < b; i++) {
      const tile = first + i;
      const top = pad + Math.floor(tile / columns) * (h + pad);
      const left = pad + (tile % columns) * (w + pad);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          for (let ch = 0; ch < c; ch++) {
            const v = data[((i * c + ch) * h + y) * w + x];
            pixels[((top + y) * width + left + x) * c + ch] = Math.round(Math.min(1, Math.max(-1, v)) * 127.5 + 127.5);
          }
        }
      }
    }
  }

  /**
   * Encodes the grid in the format of `file`'s extension (.png, .jpg/.jpeg or .webp; imageFormatFor)
   * at the layout's scale, with its row labels, and writes it to `file` atomically.
   */
  async write(file: string): Promise<void> {
    const format = imageFormatFor(file);
    const { width, height, channels, scale, rowLabels, labelWidth, tileHeight, padding } = this.layout;
    const sharp = loadModule<typeof Sharp>('sharp', 'writing images');
    let image = sharp(this.#pixels, { raw: { width, height, channels: channels as 1 | 3 } });
    if (scale > 1) image = image.resize(width * scale, height * scale, { kernel: 'nearest' });
    if (labelWidth > 0) {
      const svg = rowLabelsSvg({ labels: rowLabels, tileHeight, padding, scale }, height * scale);
      image = image
        .extend({ left: labelWidth, background: { r: 0, g: 0, b: 0 } })
        .composite([{ input: Buffer.from(svg), left: 0, top: 0 }])
        .removeAlpha();
    }
    if (channels === 1) image = image.toColourspace('b-w');
    const bytes = await encodeAs(image, format).toBuffer();
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileAtomic(file, bytes);
  }
}

/**
 * Writes images (N, C, H, W) with values in [-1, 1] as one grid, `columns` wide (default: a square),
 * with `padding` pixels between tiles, scaled up to a readable size and with `rowLabels` left of its
 * rows (ImageGridOptions). C is 1 (grey) or 3 (RGB). The format is the extension's: .png, .jpg/.jpeg
 * or .webp; any other is refused before the images are read.
 */
export async function writeImageGrid(images: Tensor, file: string, opts: ImageGridOptions = {}): Promise<void> {
  imageFormatFor(file);
  if (images.shape.length !== 4) {
    throw new MissingUError(`an image grid needs (N, 1 or 3, H, W) images, got [${images.shape.join(', ')}]`);
  }
  const grid = new ImageGrid(images.shape[0], images.shape.slice(1), opts);
  grid.add(images.toFloat32Array(), 0);
  await grid.write(file);
}
