import { jit } from '../jit';
import { MissingUError } from '../errors';
import { imageRange } from '../data/image-range';
import type { Tensor } from '../tensor';
import { MNIST_EXTRACTOR_FILE } from './fid';
import { IMAGES_WHY, requireFinite } from './finite';

export interface DigitConfidenceOptions {
  /** A sample counts as a digit when the classifier's top probability is at least this (default 0.9). */
  threshold?: number;
  /** Images per classifier call (default 500). */
  batchSize?: number;
}

export interface DigitConfidence {
  n: number;
  threshold: number;
  /** Samples whose top class probability is >= threshold. */
  confident: number;
  /** confident / n. */
  share: number;
  meanTopProbability: number;
  /** Confident samples per predicted digit 0..9. */
  perDigit: number[];
  classifier: string;
}

function softmaxTop(logits: Float32Array, row: number): { digit: number; probability: number } {
  const values = logits.subarray(row * 10, row * 10 + 10);
  const max = Math.max(...values);
  const exps = Array.from(values, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b);
  const digit = exps.indexOf(Math.max(...exps));
  return { digit, probability: exps[digit] / sum };
}

/**
 * How many images the bundled MNIST classifier (assets/mnist-features.pt, its `logits`) recognises as
 * a digit with probability >= threshold: a sample-quality check that reads as "drew a digit". Real
 * MNIST test digits score near 100%. images: (N, 1, 28, 28) in [-1, 1].
 */
export async function digitConfidence(images: Tensor, opts: DigitConfidenceOptions = {}): Promise<DigitConfidence> {
  const threshold = opts.threshold ?? 0.9;
  const batchSize = opts.batchSize ?? 500;
  const [n, c, h, w] = images.shape;
  if (images.shape.length !== 4 || c !== 1 || h !== 28 || w !== 28) {
    throw new MissingUError(
      `digit confidence needs MNIST-shaped images (N, 1, 28, 28), got (${images.shape.join(', ')})`,
    );
  }
  if (!(threshold > 0 && threshold < 1)) throw new MissingUError(`threshold must be in (0, 1), got ${threshold}`);
  using classifier = jit.load(MNIST_EXTRACTOR_FILE);
  const data = images.toFloat32Array();
  requireFinite(data, 'digitConfidence: images', IMAGES_WHY);
  let confident = 0;
  let topSum = 0;
  const perDigit = new Array<number>(10).fill(0);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    using batch = imageRange(data, images.shape, start, start + count);
    using logits = await classifier.call('logits', batch);
    const values = logits.toFloat32Array();
    for (let row = 0; row < count; row++) {
      const { digit, probability } = softmaxTop(values, row);
      topSum += probability;
      if (probability >= threshold) {
        confident += 1;
        perDigit[digit] += 1;
      }
    }
  }
  return {
    n,
    threshold,
    confident,
    share: n > 0 ? confident / n : 0,
    meanTopProbability: n > 0 ? topSum / n : 0,
    perDigit,
    classifier: 'missing-u-mnist-features-v1 logits',
  };
}
