import path from 'node:path';

import { cacheRoot } from '../../cache-root';
import { drawBatch } from '../draw-batch';
import { preparedCacheFor } from './cache';
import { readPreparedManifest, type PreparedDataset } from './manifest';
import { prepare } from './prepare';

/** The validated manifest and file paths of the prepared dataset in `dir`. */
function open(dir: string): PreparedDataset {
  return readPreparedManifest(path.resolve(dir));
}

/** Prepared datasets: decode a source once into uint8 images on disk, then train from them without loading them. */
export const data = { prepare, open, preparedCacheFor, cacheRoot, drawBatch };

export type { DrawBatchOptions } from '../draw-batch';
export type { CacheableData, CacheOptions } from './cache';
export type {
  PreparedDataset,
  PreparedManifest,
  PrepareSettings,
  ResizeRule,
  SkippedImage,
  SourceKind,
} from './manifest';
export { PREPARED_FORMAT } from './manifest';
export type { PrepareOptions, PrepareProgress, PrepareResult } from './prepare';
export type { PrepareSource } from './sources/open';
