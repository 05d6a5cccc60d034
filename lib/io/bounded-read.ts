import fs from 'node:fs';

import { MissingUError } from '../errors';
import { describeIoError } from './io-error';

const MiB = 1024 * 1024;

/** The largest file of each kind missing-u reads, in bytes. */
export const READ_LIMITS = {
  /** Configs, state.json and other JSON. */
  json: 16 * MiB,
  /** A safetensors header (the reference library's bound); the data after it is bounded by the file itself. */
  safetensorsHeader: 100_000_000,
  /** One PNG/JPEG/WebP file. */
  image: 256 * MiB,
  /** The pixels (or labels) an IDX file declares, and the compressed size of a gzipped one. */
  idx: 1024 * MiB,
  /** A TorchScript file read whole (to hash it). */
  model: 2048 * MiB,
} as const;

/** A regular file opened for reading: its size is that of the open file, not of whatever the path names later. */
export interface OpenFile {
  readonly path: string;
  readonly size: number;
  /** Exactly `length` bytes from `position`; a file that ends sooner is a MissingUError naming it. */
  read(position: number, length: number): Buffer;
  /** Fills `target` with the bytes from `position` (same rule). */
  readInto(target: ArrayBufferView, position: number): void;
}

function kindOf(stats: fs.Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notRegular(file: string, what: string, stats: fs.Stats): MissingUError {
  return new MissingUError(`${what} ${file} is ${kindOf(stats)}, not a regular file: give the path of a file`, {
    code: 'file',
  });
}

function openError(file: string, what: string, err: unknown): MissingUError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new MissingUError(`${what} ${file} does not exist`, { code: 'file' });
  return new MissingUError(describeIoError(err, `could not read ${what}`, file), { code: 'file' });
}

/** Stats `file` (following symlinks) and refuses a missing path or anything but a regular file, naming it. */
export function statRegularFile(file: string, what: string): fs.Stats {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(file);
  } catch (err) {
    throw openError(file, what, err);
  }
  if (!stats.isFile()) throw notRegular(file, what, stats);
  return stats;
}

/**
 * Refuses a path that exists but is not a regular file (a FIFO would block a native reader forever);
 * a missing path passes, for the caller to report in its own words.
 */
export function refuseIfNotRegular(file: string, what: string): void {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(file);
  } catch {
    return;
  }
  if (!stats.isFile()) throw notRegular(file, what, stats);
}

function tooLarge(file: string, what: string, size: number, maxBytes: number): MissingUError {
  return new MissingUError(
    `${what} ${file} is ${size} bytes, more than the ${maxBytes} missing-u reads for such a file (wrong file?)`,
    { code: 'file' },
  );
}

function shortRead(file: string, what: string): MissingUError {
  return new MissingUError(`${what} ${file} ended before its expected end (truncated, or changed while it was read)`, {
    code: 'format',
  });
}

// O_NONBLOCK: a path swapped for a FIFO after the stat must not block the open; it is refused by fstat.
const READ_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/**
 * Opens a regular file and hands it to `use`, closing it afterwards. The path is stat'ed first and the
 * open descriptor again, so a file swapped after the first check is still refused or bounded.
 */
export function withRegularFile<T>(file: string, what: string, use: (open: OpenFile) => T): T {
  statRegularFile(file, what);
  let fd: number;
  try {
    fd = fs.openSync(file, READ_FLAGS);
  } catch (err) {
    throw openError(file, what, err);
  }
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) throw notRegular(file, what, stats);
    const readInto = (target: ArrayBufferView, position: number): void => {
      const bytes = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
      let done = 0;
      while (done < bytes.length) {
        let n: number;
        try {
          n = fs.readSync(fd, bytes, done, bytes.length - done, position + done);
        } catch (err) {
          throw new MissingUError(describeIoError(err, `could not read ${what}`, file), { code: 'file' });
        }
        if (n === 0) throw shortRead(file, what);
        done += n;
      }
    };
    return use({
      path: file,
      size: stats.size,
      readInto,
      read(position: number, length: number): Buffer {
        const out = Buffer.allocUnsafe(length);
        readInto(out, position);
        return out;
      },
    });
  } finally {
    fs.closeSync(fd);
  }
}

/** The whole of a regular file of at most `maxBytes`; anything else is a MissingUError naming the file. */
export function readBounded(file: string, what: string, maxBytes: number): Buffer {
  return withRegularFile(file, what, (open) => {
    if (open.size > maxBytes) throw tooLarge(file, what, open.size, maxBytes);
    return open.read(0, open.size);
  });
}

/** readBounded off the event loop. */
export async function readBoundedAsync(file: string, what: string, maxBytes: number): Promise<Buffer> {
  let stats: fs.Stats;
  try {
    stats = await fs.promises.stat(file);
  } catch (err) {
    throw openError(file, what, err);
  }
  if (!stats.isFile()) throw notRegular(file, what, stats);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, READ_FLAGS);
  } catch (err) {
    throw openError(file, what, err);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw notRegular(file, what, opened);
    if (opened.size > maxBytes) throw tooLarge(file, what, opened.size, maxBytes);
    const out = Buffer.allocUnsafe(opened.size);
    let done = 0;
    while (done < out.length) {
      let n: number;
      try {
        ({ bytesRead: n } = await handle.read(out, done, out.length - done, done));
      } catch (err) {
        throw new MissingUError(describeIoError(err, `could not read ${what}`, file), { code: 'file' });
      }
      if (n === 0) throw shortRead(file, what);
      done += n;
    }
    return out;
  } finally {
    await handle.close();
  }
}
