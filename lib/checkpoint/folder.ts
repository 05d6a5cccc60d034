import fs from 'node:fs';
import path from 'node:path';

import { MissingUError } from '../errors';
import { isProcessAlive, writeFileAtomic } from '../io/atomic';
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

/**
 * The file that marks `<target>.previous` as a recovery copy missing-u made: written into the old
 * checkpoint before it is renamed aside, removed last when the copy goes.
 */
export const PREVIOUS_MARKER = '.missing-u-previous';
const PREVIOUS_MARKER_TEXT =
  'missing-u keeps this folder while it saves a new checkpoint beside it, and removes it once that is done.\n';
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

/** state.json's fields, when `dir` (a link is followed) is a folder with a state.json of at most 1 MiB that parses. */
function readStateQuietly(dir: string): Record<string, unknown> | undefined {
  let folder: fs.Stats;
  try {
    folder = fs.statSync(dir);
  } catch {
    return undefined;
  }
  if (!folder.isDirectory()) return undefined;
  const stateFile = path.join(dir, 'state.json');
  const state = statOrUndefined(stateFile);
  if (!state?.isFile() || state.size > MAX_STATE_BYTES) return undefined;
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `dir` holds a missing-u checkpoint: a folder (or a link to one) whose state.json carries the
 * format marker (or, for checkpoints saved before the marker existed, the fields only missing-u writes).
 */
export function isCheckpointFolder(dir: string): boolean {
  const s = readStateQuietly(dir);
  if (!s) return false;
  if (s.format === CHECKPOINT_FORMAT) return true;
  return (
    s.format === undefined &&
    typeof s.step === 'number' &&
    typeof s.imageSize === 'number' &&
    typeof s.channels === 'number' &&
    typeof s.savedAt === 'string'
  );
}

/** The step of the checkpoint in `dir`, or undefined when it holds none. */
export function checkpointStep(dir: string): number | undefined {
  if (!isCheckpointFolder(dir)) return undefined;
  const step = readStateQuietly(dir)?.step;
  return typeof step === 'number' ? step : undefined;
}

/**
 * Where a checkpoint path really is: a link (to a folder, or anywhere along the path) is followed, so that
 * a save writes into the link's target and two spellings of one folder take one lock. A path that does
 * not exist yet is resolved through its parent.
 */
export function realCheckpointPath(dir: string): string {
  const abs = path.resolve(dir);
  try {
    return fs.realpathSync(abs);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
    } catch {
      return abs;
    }
  }
}

/**
 * Whether `dir` is a recovery copy missing-u made: a real folder (not a link) with the marker file a
 * save writes before it renames the old checkpoint aside, or an empty one (a kill between removing the
 * marker and the folder). A folder a user named so, or a copy made by hand, carries no marker.
 */
function isRecoveryCopy(dir: string): boolean {
  if (!statOrUndefined(dir)?.isDirectory()) return false;
  const names = fs.readdirSync(dir);
  return names.length === 0 || statOrUndefined(path.join(dir, PREVIOUS_MARKER))?.isFile() === true;
}

const isEmptyFolder = (dir: string) => statOrUndefined(dir)?.isDirectory() === true && fs.readdirSync(dir).length === 0;

export interface SaveTargetOptions {
  /** The step the save writes: a complete checkpoint of a later step is not replaced unless `overwrite`. */
  step?: number;
  overwrite?: boolean;
}

/**
 * Where a save may write: a path that does not exist, an empty folder, or a missing-u checkpoint, with
 * no `<target>.previous` beside it unless missing-u made that recovery copy. Refused by name otherwise.
 */
export function assertSaveTarget(target: string, opts: SaveTargetOptions = {}): void {
  const refuse = (what: string, fix = 'choose another --out') =>
    new MissingUError(
      `refusing to save a checkpoint to ${target}: ${what}. missing-u writes only into a new path, an empty ` +
        `folder or an earlier missing-u checkpoint; ${fix} (nothing was changed)`,
    );
  const previous = previousOf(target);
  const stat = statOrUndefined(target);
  if (stat) {
    if (!stat.isDirectory())
      throw refuse(stat.isSymbolicLink() ? 'it is a symbolic link to nothing' : 'it is not a folder');
    if (fs.readdirSync(target).length > 0 && !isCheckpointFolder(target)) {
      throw refuse(
        'it is a folder that holds files but no missing-u checkpoint',
        isCheckpointFolder(previous)
          ? `move it away to continue the checkpoint in ${previous}, or choose another --out`
          : undefined,
      );
    }
  }
  if (statOrUndefined(previous) && !isRecoveryCopy(previous)) {
    throw refuse(
      `${previous} exists and is not a recovery copy missing-u made (it has no ${PREVIOUS_MARKER} file), so ` +
        'missing-u will neither use nor remove it',
      `move or rename ${previous}, or choose another --out`,
    );
  }
  if (opts.step === undefined || opts.overwrite) return;
  for (const dir of [target, previous]) {
    const step = checkpointStep(dir);
    if (step !== undefined && step > opts.step) {
      throw new MissingUError(
        `refusing to save step ${opts.step} to ${target}: ${dir} holds a later checkpoint (step ${step}) that this ` +
          'save would replace. Continue that run (train --resume), or replace it on purpose (train --overwrite, ' +
          "saveCheckpoint's overwrite option); nothing was changed",
      );
    }
  }
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
 * Finishes what a save interrupted between its renames left in `<target>.previous` (a recovery copy
 * missing-u marked): a complete one with no checkpoint beside it (no folder, or an empty one) becomes the
 * checkpoint again; otherwise its user files move into the checkpoint, its own files go, and its marker
 * goes last, so that a kill in the middle leaves it recognisable. Returns the user files it could not
 * move (the checkpoint holds the same name, or is gone); the folder then stays, marked.
 */
export function settlePrevious(target: string): string[] {
  const previous = previousOf(target);
  if (!statOrUndefined(previous) || !isRecoveryCopy(previous)) return [];
  const current = statOrUndefined(target);
  if (isCheckpointFolder(previous) && !isCheckpointFolder(target)) {
    // Anything but an empty folder in its place is not missing-u's to replace (assertSaveTarget says so).
    if (!current || isEmptyFolder(target)) {
      if (current) fs.rmdirSync(target);
      fs.renameSync(previous, target);
      fs.rmSync(path.join(target, PREVIOUS_MARKER), { force: true });
    }
    return [];
  }
  const own = new Set<string>([...CHECKPOINT_FILES, PREVIOUS_MARKER]);
  const left: string[] = [];
  for (const name of fs.readdirSync(previous)) {
    if (own.has(name)) continue;
    if (!current?.isDirectory() || statOrUndefined(path.join(target, name))) left.push(name);
    else fs.renameSync(path.join(previous, name), path.join(target, name));
  }
  for (const name of CHECKPOINT_FILES) fs.rmSync(path.join(previous, name), { force: true });
  if (left.length > 0) return left;
  fs.rmSync(path.join(previous, PREVIOUS_MARKER), { force: true });
  fs.rmdirSync(previous);
  return [];
}

/**
 * Swaps a complete staging folder in as `target`. The old checkpoint, marked as a recovery copy, is
 * `<target>.previous` for the moment between the two renames (a crash then leaves it to be found);
 * afterwards anything a user had put into the old folder moves into the new one and the old
 * checkpoint's files are removed.
 */
export function installStaging(staging: string, target: string): void {
  const left = settlePrevious(target);
  if (left.length > 0) {
    throw new MissingUError(
      `${previousOf(target)} holds files missing-u did not write (${left.join(', ')}) that it cannot move into ` +
        `${target} (it holds the same names, or is gone): move them away, then save again`,
    );
  }
  const existing = statOrUndefined(target);
  if (existing && fs.readdirSync(target).length === 0) fs.rmdirSync(target);
  else if (existing) {
    writeFileAtomic(path.join(target, PREVIOUS_MARKER), PREVIOUS_MARKER_TEXT);
    fs.renameSync(target, previousOf(target));
  }
  fs.renameSync(staging, target);
  settlePrevious(target);
}

/**
 * The folder to read a checkpoint from (links followed): `dir` itself, or its recovery copy when a crash
 * in the middle of a save left only that, or beside an empty or partial `dir`. Undefined when there is neither.
 */
export function findCheckpoint(dir: string): string | undefined {
  const root = realCheckpointPath(dir);
  if (isCheckpointFolder(root)) return root;
  const previous = previousOf(root);
  return isCheckpointFolder(previous) ? previous : undefined;
}
