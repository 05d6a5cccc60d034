import crypto from 'node:crypto';
import path from 'node:path';

import type { CorruptImageAction } from '../../schemas/names';
import type { ResizeRule } from './manifest';
import { cacheRoot } from '../../cache-root';
import { prepareOpened, settingsOf, type PrepareOptions, type PrepareResult } from './prepare';
import { openSource } from './sources/open';

/** A training config's data section of a kind that is prepared into the cache on first use. */
export type CacheableData =
  | { source: 'mnist-package'; limit?: number }
  | { source: 'mnist-idx'; images: string; labels?: string }
  | {
      source: 'image-folder';
      path: string;
      imageSize: number;
      channels?: 1 | 3;
      limit?: number;
      onCorrupt?: CorruptImageAction;
      /** 'cover' (default) or 'squash', as `data prepare --resize` takes it. */
      resize?: ResizeRule;
      /** Flipping happens while training; it does not change what is prepared. */
      horizontalFlip?: boolean;
    };

export interface CacheOptions extends Pick<PrepareOptions, 'signal' | 'onProgress' | 'concurrency'> {
  /** Default cacheRoot()/prepared. */
  dir?: string;
}

/**
 * The prepared copy of a config's data section, in `<cache>/prepared/<key>`: made on first use, then
 * found at once. The key hashes the source's file list, sizes and mtimes and the settings, so a changed
 * source or other settings prepare a new copy. Several processes (data-parallel ranks) may ask at once:
 * one prepares, the others wait for it. Image folders are resized by their `resize` rule ('cover' by default).
 */
export async function preparedCacheFor(spec: CacheableData, opts: CacheOptions = {}): Promise<PrepareResult> {
  const prepareOptions: PrepareOptions = {
    out: '',
    signal: opts.signal,
    onProgress: opts.onProgress,
    concurrency: opts.concurrency,
    wait: true,
    ...(spec.source === 'image-folder'
      ? {
          imageSize: spec.imageSize,
          channels: spec.channels ?? 3,
          limit: spec.limit,
          onCorrupt: spec.onCorrupt,
          resize: spec.resize ?? 'cover',
        }
      : spec.source === 'mnist-package'
        ? { limit: spec.limit }
        : {}),
  };
  const source =
    spec.source === 'image-folder'
      ? ({ kind: 'image-folder', path: spec.path } as const)
      : spec.source === 'mnist-idx'
        ? ({ kind: 'mnist-idx', images: spec.images, labels: spec.labels } as const)
        : ({ kind: 'mnist-package' } as const);
  const opened = await openSource(source, {
    imageSize: prepareOptions.imageSize,
    resize: prepareOptions.resize ?? 'cover',
    limit: prepareOptions.limit,
  });
  try {
    const settings = settingsOf(opened, prepareOptions);
    const key = crypto.createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 24);
    const dir = path.join(
      opts.dir ?? path.join(cacheRoot(), 'prepared'),
      `${opened.kind}-${opened.imageSize}px-${key}`,
    );
    return await prepareOpened(opened, { ...prepareOptions, out: dir }, dir);
  } finally {
    opened.close();
  }
}
