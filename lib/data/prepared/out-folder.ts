import fs from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { MissingUError } from '../../errors';
import { isAtomicTempFile, writeFileAtomic } from '../../io/atomic';
import { readJsonFile } from '../../io/json-file';
import { LOCK_FILE, LOCK_TEMP } from './lock';
import {
  IMAGES_FILE,
  MANIFEST_FILE,
  PrepareSettingsSchema,
  readPreparedManifest,
  SkippedSchema,
  type PreparedDataset,
} from './manifest';

export const PARTIAL_FILE = `${IMAGES_FILE}.partial`;
export const PROGRESS_FILE = 'progress.json';
const PROGRESS_FORMAT = 'missing-u/prepare-progress-1';

/** progress.json of an unfinished prepare: how far it got (all counts cover what images.u8.partial holds). */
const ProgressSchema = z
  .object({
    format: z.literal(PROGRESS_FORMAT),
    settings: PrepareSettingsSchema,
    /** Source items read (written or skipped). */
    position: z.number().int().nonnegative(),
    /** Images written to images.u8.partial. */
    count: z.number().int().nonnegative(),
    skipped: z.array(SkippedSchema),
    labels: z.array(z.number().int().nonnegative()).optional(),
    updatedAt: z.string(),
  })
  .strict();
export type Progress = z.infer<typeof ProgressSchema>;

/** Whether `name` is a file a prepare writes in its folder. */
function isOurs(name: string): boolean {
  return (
    [MANIFEST_FILE, IMAGES_FILE, PARTIAL_FILE, PROGRESS_FILE, LOCK_FILE].includes(name) ||
    LOCK_TEMP.test(name) ||
    isAtomicTempFile(name, MANIFEST_FILE) ||
    isAtomicTempFile(name, PROGRESS_FILE)
  );
}

/** What an --out folder is: new (absent or empty), a finished prepared dataset, or an unfinished one of ours. */
export type OutState =
  { kind: 'new' } | { kind: 'finished'; dataset: PreparedDataset } | { kind: 'staging'; progress?: Progress };

export function readProgress(dir: string): Progress | undefined {
  const file = path.join(dir, PROGRESS_FILE);
  if (!fs.existsSync(file)) return undefined;
  const parsed = ProgressSchema.safeParse(readJsonFile(file, 'prepare progress file'));
  if (!parsed.success || parsed.data.count > parsed.data.position) {
    throw new MissingUError(
      `prepare progress file ${file} is not one missing-u wrote: delete the folder ${dir} and prepare again`,
      {
        code: 'format',
      },
    );
  }
  return parsed.data;
}

export function writeProgress(dir: string, progress: Omit<Progress, 'format' | 'updatedAt'>): void {
  const record: Progress = { format: PROGRESS_FORMAT, ...progress, updatedAt: new Date().toISOString() };
  writeFileAtomic(path.join(dir, PROGRESS_FILE), JSON.stringify(record));
}

/**
 * Classifies `out` under the checkpoint rule: missing-u writes only into a new path, an empty folder,
 * or a folder it prepared (finished or not). Anything else is refused before a byte is written.
 */
export function inspectOut(out: string): OutState {
  const refuse = (what: string) =>
    new MissingUError(
      `refusing to prepare into ${out}: ${what}. missing-u writes only into a new path, an empty folder or a ` +
        'dataset it prepared; choose another --out (nothing was changed)',
      { code: 'file' },
    );
  let stats: fs.Stats;
  try {
    stats = fs.statSync(out);
  } catch {
    return { kind: 'new' };
  }
  if (!stats.isDirectory()) throw refuse('it is not a folder');
  const names = fs.readdirSync(out);
  if (names.length === 0) return { kind: 'new' };
  if (names.includes(MANIFEST_FILE)) return { kind: 'finished', dataset: readPreparedManifest(out) };
  if (!names.every(isOurs)) throw refuse('it is a folder that holds files but no missing-u prepared dataset');
  return { kind: 'staging', progress: readProgress(out) };
}
