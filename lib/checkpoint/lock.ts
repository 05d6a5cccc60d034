import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { MissingUError } from '../errors';
import { isProcessAlive, removeStaleAtomicTemps, tempPathFor } from '../io/atomic';
import { describeIoError } from '../io/io-error';

/** What a lock file holds: who writes the checkpoint folder beside it, and since when. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** The holder's boot and start time (Linux): a reused pid or a reboot does not keep a dead run's lock. */
  boot?: string;
  start?: string;
}

/** One writer's hold on a checkpoint folder; `release` (or `using`) gives it back. */
export interface CheckpointLock {
  readonly file: string;
  release(): void;
  [Symbol.dispose](): void;
}

/** The lock file of a checkpoint folder: beside it, so that the renames of a save leave it in place. */
export function lockPathOf(target: string): string {
  return `${target}.lock`;
}

// Locks this process holds, by lock file: the inode it created and how many holds are open.
const held = new Map<string, { ino: number; count: number }>();
let exitHookInstalled = false;

function readQuietly(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function startTimeOf(pid: number): string | undefined {
  const stat = readQuietly(`/proc/${pid}/stat`);
  // Field 22 (starttime) counts from the fields after the command name, which may hold spaces.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

const bootId = () => readQuietly('/proc/sys/kernel/random/boot_id');

function parseHolder(text: string): LockHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const h = value as Partial<LockHolder> | null;
  if (!h || !Number.isSafeInteger(h.pid) || typeof h.host !== 'string' || typeof h.since !== 'string') return undefined;
  return h as LockHolder;
}

/** Whether the run that wrote `holder` may still run: always when it ran on another machine (nothing to ask). */
function holderMayRun(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return true;
  if (holder.boot !== undefined && bootId() !== undefined && holder.boot !== bootId()) return false;
  // This process does not hold it (held locks never get here): an earlier process with this pid left it.
  if (holder.pid === process.pid) return false;
  if (!isProcessAlive(holder.pid)) return false;
  const start = startTimeOf(holder.pid);
  return holder.start === undefined || start === undefined || start === holder.start;
}

function refuseHeld(target: string, file: string, holder: LockHolder | undefined): MissingUError {
  if (!holder) {
    return new MissingUError(
      `${target} is locked: ${file} exists but does not name a missing-u run (being taken this instant, or not ` +
        `missing-u's). If no run writes ${target}, remove ${file}`,
      { code: 'file' },
    );
  }
  const elsewhere = holder.host === os.hostname() ? '' : ' (another machine: missing-u cannot tell whether it runs)';
  return new MissingUError(
    `${target} is in use by another missing-u run: pid ${holder.pid} on ${holder.host}${elsewhere} since ` +
      `${holder.since} holds ${file}. Wait for that run to end or stop it; if it is gone, remove ${file}`,
    { code: 'file' },
  );
}

/** The lock file as it is now, with the inode that identifies this one copy of it; undefined once it is gone. */
function readLock(file: string): { ino: number; text: string } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MissingUError(describeIoError(err, 'could not read the lock file', file), { code: 'file' });
  }
  try {
    const stats = fs.fstatSync(fd);
    const bytes = Buffer.alloc(Math.min(stats.size, 4096));
    const n = fs.readSync(fd, bytes, 0, bytes.length, 0);
    return { ino: stats.ino, text: bytes.subarray(0, n).toString('utf8') };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Moves the stale lock `ino` out of the way. It is renamed first and checked after: when another
 * process took the lock over in between, the file moved is its new lock, which goes back.
 */
function removeStale(file: string, ino: number): void {
  // Named as an atomic write's temp file, so that a kill before it is removed leaves nothing for good.
  const aside = tempPathFor(file);
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (fs.statSync(aside).ino !== ino) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // a third writer took it meanwhile: it holds the lock now
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Creates `file` holding `text` in one step (a hard link of a complete temp file), or says it exists. */
function createExclusive(file: string, text: string): boolean {
  const temp = tempPathFor(file);
  fs.writeFileSync(temp, text, { flag: 'wx' });
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    // A file system without hard links: O_EXCL, with a moment in which the file is empty.
    try {
      fs.writeFileSync(file, text, { flag: 'wx' });
      return true;
    } catch (inner) {
      if ((inner as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw inner;
    }
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function releaseFile(file: string, all: boolean): void {
  const mine = held.get(file);
  if (!mine) return;
  mine.count--;
  if (mine.count > 0 && !all) return;
  held.delete(file);
  try {
    if (fs.statSync(file).ino === mine.ino) fs.unlinkSync(file);
  } catch {
    // gone already (removed by hand): nothing to give back
  }
}

function handle(file: string): CheckpointLock {
  let open = true;
  const release = () => {
    if (open) releaseFile(file, false);
    open = false;
  };
  return { file, release, [Symbol.dispose]: release };
}

/**
 * Takes the exclusive lock on the checkpoint folder `target` (a real path) for this process: the file
 * `<target>.lock`, created atomically, naming this pid, host and time. A lock whose process is gone
 * (same host) is taken over; one held by a live run is a MissingUError naming it. This process may
 * take a lock it holds again (a save inside a run); each hold is released on its own, and all of them
 * when the process exits.
 */
export function acquireCheckpointLock(target: string): CheckpointLock {
  const file = lockPathOf(target);
  const mine = held.get(file);
  if (mine) {
    mine.count++;
    return handle(file);
  }
  const holder: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    since: new Date().toISOString(),
    boot: bootId(),
    start: startTimeOf(process.pid),
  };
  const text = `${JSON.stringify(holder)}\n`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    removeStaleAtomicTemps(path.dirname(file), path.basename(file));
    for (let attempt = 0; attempt < 5; attempt++) {
      if (createExclusive(file, text)) {
        held.set(file, { ino: fs.statSync(file).ino, count: 1 });
        if (!exitHookInstalled) {
          process.on('exit', () => [...held.keys()].forEach((f) => releaseFile(f, true)));
          exitHookInstalled = true;
        }
        return handle(file);
      }
      const current = readLock(file);
      if (!current) continue;
      const other = parseHolder(current.text);
      if (!other || holderMayRun(other)) throw refuseHeld(target, file, other);
      removeStale(file, current.ino);
    }
  } catch (err) {
    if (err instanceof MissingUError) throw err;
    throw new MissingUError(describeIoError(err, 'could not take the lock', file), { code: 'file' });
  }
  throw new MissingUError(`could not take the lock ${file}: other processes kept taking it; try again`, {
    code: 'file',
  });
}
