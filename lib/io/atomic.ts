import fs from 'node:fs';
import path from 'node:path';

import { MissingUError } from '../errors';
import { describeIoError } from './io-error';

const TEMP_NAME = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;
let lastStamp = 0;

/** `.<name>.<pid>.<time>.tmp` beside `file`; the time is unique within this process. */
export function tempPathFor(file: string): string {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${lastStamp}.tmp`);
}

/** The parts of a temp file name writeFileAtomic makes, or undefined when `name` (a base name) is not one. */
export function parseAtomicTempName(name: string): { target: string; pid: number; time: number } | undefined {
  const match = TEMP_NAME.exec(name);
  return match ? { target: match[1], pid: Number(match[2]), time: Number(match[3]) } : undefined;
}

/** Whether `name` (a base name) is a temp file writeFileAtomic makes, optionally for the target `target`. */
export function isAtomicTempFile(name: string, target?: string): boolean {
  const parts = parseAtomicTempName(name);
  return parts !== undefined && (target === undefined || parts.target === target);
}

/** Whether a process with this id runs (ours counts): what left a temp or staging file behind. */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files writeFileAtomic left in `dir` (after a crash or a failed write) whose process is
 * gone, only those for `target` when given; this process's own and a live process's are kept. Returns
 * the paths removed. Best effort.
 */
export function removeStaleAtomicTemps(dir: string, target?: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const parts = parseAtomicTempName(name);
    if (!parts || (target !== undefined && parts.target !== target) || isProcessAlive(parts.pid)) continue;
    const file = path.join(dir, name);
    try {
      if (fs.lstatSync(file).isFile()) {
        fs.rmSync(file);
        removed.push(file);
      }
    } catch {
      // someone else removed it, or it cannot be: the next save tries again
    }
  }
  return removed;
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // the original error is the one to report
  }
}

function failure(err: unknown, file: string): MissingUError {
  return err instanceof MissingUError ? err : new MissingUError(describeIoError(err, 'could not write', file));
}

/**
 * Writes `data` to `file` so that a crash leaves either the old file or the new one: temp file, fsync,
 * rename, fsync of the folder. A failed write removes its temp file and throws a MissingUError that names
 * `file` and the cause (ENOSPC, EACCES, EROFS, ...).
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  removeStaleAtomicTemps(path.dirname(file), path.basename(file));
  const temp = tempPathFor(file);
  let created = false;
  try {
    const fd = fs.openSync(temp, 'wx');
    created = true;
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (err) {
    if (created) removeQuietly(temp);
    throw failure(err, file);
  }
  syncDirectory(path.dirname(file));
}

/** writeFileAtomic off the event loop, with the same guarantees. */
export async function writeFileAtomicAsync(file: string, data: Uint8Array | string): Promise<void> {
  removeStaleAtomicTemps(path.dirname(file), path.basename(file));
  const temp = tempPathFor(file);
  let created = false;
  try {
    const handle = await fs.promises.open(temp, 'wx');
    created = true;
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, file);
  } catch (err) {
    if (created) await fs.promises.rm(temp, { force: true }).catch(() => undefined);
    throw failure(err, file);
  }
  await syncDirectoryAsync(path.dirname(file));
}

/** fsync a directory so that renames inside it survive a crash. */
export function syncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw new MissingUError(describeIoError(err, 'could not sync the folder', dir));
  }
}

/** syncDirectory off the event loop. */
export async function syncDirectoryAsync(dir: string): Promise<void> {
  try {
    const handle = await fs.promises.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new MissingUError(describeIoError(err, 'could not sync the folder', dir));
  }
}
