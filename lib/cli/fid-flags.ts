import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { Command } from 'commander';

import { cachedDatasetStats, loadExtractor, MNIST_EXTRACTOR_FILE, type Extractor } from '../eval/fid';
import { loadImageSource, type ImageSourceOptions } from '../eval/image-source';
import { loadFeatureStats, type FeatureStats } from '../eval/metrics';
import { INPUT_RANGES, type InputRange } from '../schemas/names';
import { count, oneOf } from './parse';

/** The flags that choose the feature extractor and where the real statistics are cached (eval fid, fid-steps). */
export interface FidFlags {
  real: string;
  extractor: string;
  extractorRange?: InputRange;
  extractorSize?: number;
  extractorChannels?: 1 | 3;
  /** A folder, false (--no-cache) or the default ~/.cache/missing-u/fid-stats. */
  cache?: string | false;
}

/** --extractor-range, also written with a dash (0-255). */
function extractorRange(v: string): InputRange {
  return oneOf('--extractor-range', INPUT_RANGES)(v.replace(/(\d)-(\d)/, '$1,$2'));
}

/** --extractor, --extractor-range, --extractor-size, --extractor-channels, --cache and --no-cache. */
export function fidFlags(command: Command): Command {
  return command
    .option(
      '--extractor <file>',
      "'mnist' (bundled, for 1x28x28 digits) or a TorchScript forward(x) -> (B, D)",
      'mnist',
    )
    .option('--extractor-range <r>', `value range the extractor expects: ${INPUT_RANGES.join(' | ')}`, extractorRange)
    .option('--extractor-size <n>', 'square size the extractor expects (images are resized)', count('--extractor-size'))
    .option('--extractor-channels <c>', '3 repeats grey images to RGB', (v) => (v === '3' ? 3 : 1))
    .option('--cache <dir>', 'where the real images’ statistics are cached')
    .option('--no-cache', 'do not cache the real images’ statistics');
}

/** The extractor the flags name, with its input settings. */
export function extractorFromFlags(flags: FidFlags): Extractor {
  return loadExtractor(flags.extractor, {
    inputRange: flags.extractorRange,
    size: flags.extractorSize,
    channels: flags.extractorChannels,
  });
}

/**
 * The real side's feature statistics: a .stats.safetensors file as it is, else those of the source's
 * first `load.n` images, computed once per (source, n, extractor) and cached.
 */
export function realStatsFromFlags(
  flags: FidFlags,
  extractor: Extractor,
  load: ImageSourceOptions & { n: number },
  onProgress: (p: { done: number; total: number }) => void,
): Promise<{ stats: FeatureStats; cached: boolean; file: string }> {
  if (flags.real.endsWith('.stats.safetensors')) {
    return Promise.resolve({ stats: loadFeatureStats(flags.real), cached: true, file: flags.real });
  }
  const extractorFile = flags.extractor === 'mnist' ? MNIST_EXTRACTOR_FILE : flags.extractor;
  return cachedDatasetStats(
    { source: flags.real, n: load.n, extractorFile },
    extractor,
    () => loadImageSource(flags.real, load),
    {
      cacheDir: flags.cache === false ? fs.mkdtempSync(path.join(os.tmpdir(), 'mu-fid-')) : flags.cache,
      onProgress,
    },
  );
}
