import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { MissingUError } from '../../errors';
import { isProcessAlive } from '../../io/atomic';

export const LOCK_FILE = 'prepare.lock';
/** The temp file a taker writes before linking it to LOCK_FILE. */
export const LOCK_TEMP = /^prepare\.lock\.(\d+)\.tmp$/;

interface Holder {
  pid: number;
  host: string;
}

function readHolder(file: string): Holder | undefined {
  try {
    const holder = JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the lock file with its contents in one step (link of a complete temp file), or says who holds it. */
function tryLock(file: string): Holder | undefined {
  const temp = `${file}.${process.pid}.tmp`; // LOCK_TEMP
  fs.writeFileSync(temp, JSON.stringify({ pid: process.pid, host: os.hostname() }));
  try {
    fs.linkSync(temp, file);
    return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = readHolder(file);
    // A holder on this host whose process is gone (kill -9) left it: take it over.
    if (holder && holder.host === os.hostname() && !isProcessAlive(holder.pid)) {
      fs.rmSync(file, { force: true });
      return tryLock(file);
    }
    return holder ?? { pid: 0, host: 'unknown' };
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Takes `<dir>/prepare.lock` so that one process at a time writes a prepared folder. A lock whose
 * process is gone is taken over. When another live process holds it: with `wait`, waits for it to
 * finish (polling); without, refuses by name. Returns the release function.
 */
export async function lockFolder(dir: string, wait: boolean, signal?: AbortSignal): Promise<() => void> {
  const file = path.join(dir, LOCK_FILE);
  // The temp files of takers that were killed before they removed them.
  for (const name of fs.readdirSync(dir)) {
    const pid = LOCK_TEMP.exec(name)?.[1];
    if (pid !== undefined && !isProcessAlive(Number(pid))) fs.rmSync(path.join(dir, name), { force: true });
  }
  for (;;) {
    const holder = tryLock(file);
    if (!holder) break;
    if (!wait) {
      throw new MissingUError(
        `another missing-u data prepare (pid ${holder.pid} on ${holder.host}) is writing ${dir}: wait for it to finish ` +
          `(if none runs, delete ${file})`,
        { code: 'file' },
      );
    }
    if (signal?.aborted)
      throw new MissingUError(`preparing ${dir} was aborted while waiting for another prepare`, { code: 'aborted' });
    await pause(250, signal);
  }
  return () => {
    if (readHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
}
