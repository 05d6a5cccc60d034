import crypto from 'node:crypto';
import fs from 'node:fs';

import type { ResizeRule, SourceKind } from '../manifest';
import type { TargetShape } from '../decode';

/** One image of a source, in source order; `decode` reads and converts it (rejecting a corrupt image). */
export interface SourceItem {
  /** How the image is named in messages and in the manifest's skipped list: a path or an LMDB key. */
  id: string;
  label?: number;
  decode(): Promise<Buffer>;
}

/** What a prepare needs of a source: what identifies it, how many images it has, and the images in order. */
export interface OpenedSource {
  kind: SourceKind;
  path?: string;
  labels?: string;
  /** A hash of the source's file list, sizes and mtimes: a changed source is another source. */
  fingerprint: string;
  /** Extra fields for the manifest's `source` (what identifies it to a reader). */
  details: Record<string, string | number>;
  /** Images after the limit. */
  total: number;
  /** The side of the prepared images. */
  imageSize: number;
  /** The resize rule as recorded: null when no image is resampled. */
  resize: ResizeRule | null;
  classes?: string[];
  /** The items from position `from` on, decoding to `target`. */
  items(from: number, target: TargetShape): Iterable<SourceItem>;
  close(): void;
}

/** The options every source takes. */
export interface SourceOptions {
  /** Keep at most this many images, in source order. */
  limit?: number;
}

/** A hash of lines (one per file: its name, size and mtime). */
export function fingerprintOf(lines: Iterable<string>): string {
  const hash = crypto.createHash('sha256');
  for (const line of lines) hash.update(`${line}\n`);
  return hash.digest('hex');
}

/** The fingerprint line of one file: its path (as given), size and modification time. */
export function fileLine(file: string, name = file): string {
  const stats = fs.statSync(file);
  return `${name}\t${stats.size}\t${stats.mtimeMs}`;
}
