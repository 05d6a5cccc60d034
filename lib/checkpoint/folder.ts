import fs from 'node:fs';
import path from 'node:path';

import { MissingUError } from '../errors';
import { isProcessAlive } from '../io/atomic';
import { describeIoError } from '../io/io-error';

/** state.json's `format`: what makes a folder recognisably a missing-u checkpoint. */
export const CHECKPOINT_FORMAT = 'missing-u/checkpoint-1';

/** Every file a checkpoint save writes; nothing else in a checkpoint folder is ever removed. */
export const CHECKPOINT_FILES = [
  'model.safetensors',
  'ema.safetensors',
  'optimizer.safetensors',
  'config.json',
  'state.json',
] as const;

const STAGING_MARK = '.saving-';
const MAX_STATE_BYTES = 1 << 20;

/** The recovery copy a save keeps while it swaps the new checkpoint in. */
export function previousOf(target: string): string {
  return `${target}.previous`;
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MissingUError(describeIoError(err, 'could not inspect', file));
  }
}

/**
 * Whether `dir` holds a missing-u checkpoint: a real folder whose state.json carries the format
 * marker (or, for checkpoints saved before the marker existed, the fields only missing-u writes).
 */
export function isCheckpointFolder(dir: string): boolean {
  const folder = statOrUndefined(dir);
  if (!folder?.isDirectory()) return false;
  const stateFile = path.join(dir, 'state.json');
  const state = statOrUndefined(stateFile);
  if (!state?.isFile() || state.size > MAX_STATE_BYTES) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object') return false;
  const s = parsed as Record<string, unknown>;
  if (s.format === CHECKPOINT_FORMAT) return true;
  return (
    s.format === undefined &&
    typeof s.step === 'number' &&
    typeof s.imageSize === 'number' &&
    typeof s.channels === 'number' &&
    typeof s.savedAt === 'string'
  );
}

/** Where a save may write: a path that does not exist, an empty folder, or a missing-u checkpoint. */
export function assertSaveTarget(target: string): void {
  const refuse = (what: string) =>
    new MissingUError(
      `refusing to save a checkpoint to ${target}: ${what}. missing-u writes only into a new path, an empty ` +
        'folder or an earlier missing-u checkpoint; choose another --out (nothing was changed)',
    );
  const stat = statOrUndefined(target);
  if (stat) {
    if (!stat.isDirectory()) throw refuse(stat.isSymbolicLink() ? 'it is a symbolic link' : 'it is not a folder');
    if (fs.readdirSync(target).length > 0 && !isCheckpointFolder(target)) {
      throw refuse('it is a folder that holds files but no missing-u checkpoint');
    }
  }
  const previous = previousOf(target);
  if (statOrUndefined(previous) && !isCheckpointFolder(previous) && !holdsOnlyCheckpointFiles(previous)) {
    throw refuse(`${previous} exists and is not a missing-u checkpoint`);
  }
}

/**
 * A folder with nothing but files a checkpoint save writes (or nothing at all): what a kill while a
 * save removed the old checkpoint leaves of `<target>.previous`.
 */
function holdsOnlyCheckpointFiles(dir: string): boolean {
  if (!statOrUndefined(dir)?.isDirectory()) return false;
  const own = new Set<string>(CHECKPOINT_FILES);
  return fs.readdirSync(dir).every((name) => own.has(name));
}

/**
 * Removes a checkpoint folder that missing-u wrote: its own files only, then the folder if that left
 * it empty. Anything else in it stays where it is.
 */
export function removeCheckpointFiles(dir: string, extra: readonly string[] = []): void {
  for (const name of [...CHECKPOINT_FILES, ...extra]) fs.rmSync(path.join(dir, name), { force: true });
  try {
    fs.rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}

/** A new, private staging folder beside the target, named so that a later save can recognise it. */
export function makeStaging(target: string): string {
  const parent = path.dirname(target);
  const prefix = path.join(parent, `.${path.basename(target)}${STAGING_MARK}${process.pid}-`);
  try {
    fs.mkdirSync(parent, { recursive: true });
    const staging = fs.mkdtempSync(prefix);
    fs.chmodSync(staging, 0o755);
    return staging;
  } catch (err) {
    throw new MissingUError(describeIoError(err, 'could not create a staging folder in', parent));
  }
}

/**
 * Removes staging folders of saves to `target` whose process is gone (a crash or a full disk left
 * them): only folders named as missing-u names them, and in them only the files a save writes.
 */
export function removeStaleStaging(target: string): void {
  const parent = path.dirname(target);
  const prefix = `.${path.basename(target)}${STAGING_MARK}`;
  let entries: string[];
  try {
    entries = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of entries) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isInteger(pid) || isProcessAlive(pid)) continue;
    const dir = path.join(parent, name);
    if (!statOrUndefined(dir)?.isDirectory()) continue;
    const leftovers = fs.readdirSync(dir).filter((f) => /^\..+\.tmp$/.test(f));
    removeCheckpointFiles(dir, leftovers);
  }
}

/**
 * Finishes what a save interrupted between its renames left: a lone `<target>.previous` becomes the
 * checkpoint again; beside a new checkpoint, its user files move into the new one and its own files go.
 */
export function settlePrevious(target: string): void {
  const previous = previousOf(target);
  if (!statOrUndefined(previous)) return;
  if (!statOrUndefined(target)) {
    fs.renameSync(previous, target);
    return;
  }
  const own = new Set<string>(CHECKPOINT_FILES);
  for (const name of fs.readdirSync(previous)) {
    if (own.has(name) || statOrUndefined(path.join(target, name))) continue;
    fs.renameSync(path.join(previous, name), path.join(target, name));
  }
  removeCheckpointFiles(previous);
}

/**
 * Swaps a complete staging folder in as `target`. The old checkpoint is `<target>.previous` for the
 * moment between the two renames (a crash then leaves it as the recovery copy); afterwards anything a
 * user had put into the old folder moves into the new one and the old checkpoint's files are removed.
 */
export function installStaging(staging: string, target: string): void {
  settlePrevious(target);
  const existing = statOrUndefined(target);
  if (existing && fs.readdirSync(target).length === 0) fs.rmdirSync(target);
  else if (existing) fs.renameSync(target, previousOf(target));
  fs.renameSync(staging, target);
  settlePrevious(target);
}

/**
 * The folder to read a checkpoint from: `dir` itself, or its recovery copy when a crash in the
 * middle of a save left only that. Undefined when there is neither.
 */
export function findCheckpoint(dir: string): string | undefined {
  const root = path.resolve(dir);
  if (isCheckpointFolder(root)) return root;
  const previous = previousOf(root);
  if (!statOrUndefined(root) && isCheckpointFolder(previous)) return previous;
  return undefined;
}
