import fs from 'node:fs';
import path from 'node:path';

import { MissingUError } from '../../errors';
import { syncDirectory, writeFileAtomic } from '../../io/atomic';
import type { CorruptImageAction } from '../../schemas/names';
import type {
  ResizeRule,
  PreparedDataset,
  PreparedManifest,
  PrepareProgress,
  PrepareSettings,
  SkippedImage,
} from './manifest';
import { IMAGES_FILE, MANIFEST_FILE, readPreparedManifest } from './manifest';
import { inOrder } from './ordered-pool';
import { PARTIAL_FILE, PROGRESS_FILE, writeProgress, type Progress } from './out-folder';
import { PartialWriter } from './partial-writer';
import type { OpenedSource } from './sources/source';

/** Images are appended in chunks of about this many bytes (at most CHUNK_IMAGES images). */
const CHUNK_BYTES = 16 * 1024 * 1024;
const CHUNK_IMAGES = 256;
/**
 * progress.json is rewritten about this often: a kill loses at most about this much work. A large
 * record (the labels of a big set) is written less often, so that saving stays a small share of the time.
 */
const SAVE_EVERY_MS = 1000;
const SAVE_SHARE = 20;

export interface WriteOptions {
  out: string;
  settings: PrepareSettings;
  resize: ResizeRule;
  onCorrupt: CorruptImageAction;
  concurrency: number;
  signal?: AbortSignal;
  onProgress?: (progress: PrepareProgress) => void;
}

/** An error of the program itself (not of the image): sharp and the readers throw plain Errors or MissingUErrors. */
function isBug(err: unknown): boolean {
  return err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError;
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Removes the staging files of a prepare in `out` (its own files only). */
function removeStaging(out: string): void {
  for (const name of [PARTIAL_FILE, PROGRESS_FILE]) fs.rmSync(path.join(out, name), { force: true });
}

/**
 * Writes the source's images, from where `progress` left off, into `<out>/images.u8.partial`,
 * recording progress.json every second or so (after an fdatasync of the data, so what it records is on
 * disk). Returns what was written and `finish`, which renames the data file into place and writes the
 * manifest last.
 */
export async function writePrepared(opened: OpenedSource, progress: Progress | undefined, opts: WriteOptions) {
  const { out, settings } = opts;
  const { imageSize: side, channels } = settings;
  const stride = channels * side * side;
  const partial = path.join(out, PARTIAL_FILE);
  const done = path.join(out, IMAGES_FILE);
  // Killed between the rename and the manifest: the data is complete, take it back as the partial file.
  if (!fs.existsSync(partial) && fs.existsSync(done)) fs.renameSync(done, partial);
  const resumedFrom = progress?.position ?? 0;
  let position = resumedFrom;
  const skipped: SkippedImage[] = [...(progress?.skipped ?? [])];
  const labels: number[] | undefined = opened.classes ? [...(progress?.labels ?? [])] : undefined;
  const writer = PartialWriter.open(partial, stride, progress?.count ?? 0);
  const chunkImages = Math.max(1, Math.min(CHUNK_IMAGES, Math.floor(CHUNK_BYTES / stride)));
  const chunk = Buffer.allocUnsafe(chunkImages * stride);
  let inChunk = 0;
  let savedAt = Date.now();
  let saveMs = 0;
  const flush = () => {
    if (inChunk > 0) writer.append(chunk, inChunk);
    inChunk = 0;
  };
  const save = () => {
    const started = Date.now();
    writer.sync();
    writeProgress(out, { settings, position, count: writer.count, skipped, labels });
    savedAt = Date.now();
    saveMs = savedAt - started;
  };
  const target = { imageSize: side, channels, resize: settings.resize ?? opts.resize };
  try {
    // Recorded at once, so that even an early kill leaves a folder that says what it was preparing.
    if (!progress) save();
    for await (const result of inOrder(opened.items(position, target), opts.concurrency, (item) => item.decode())) {
      if (opts.signal?.aborted) break;
      if (result.value === undefined) {
        if (isBug(result.error)) throw result.error;
        const reason = reasonOf(result.error);
        if (opts.onCorrupt === 'fail') {
          throw new MissingUError(`cannot read image ${result.item.id}: ${reason} (onCorrupt is 'fail')`, {
            code: 'format',
          });
        }
        skipped.push({ path: result.item.id, reason });
        process.stderr.write(`missing-u: skipping ${result.item.id}: ${reason}\n`);
      } else {
        result.value.copy(chunk, inChunk * stride);
        inChunk += 1;
        if (labels) labels.push(result.item.label ?? 0);
      }
      position += 1;
      if (inChunk === chunkImages) {
        flush();
        if (Date.now() - savedAt >= Math.max(SAVE_EVERY_MS, SAVE_SHARE * saveMs)) save();
      }
      opts.onProgress?.({
        done: position,
        total: opened.total,
        written: writer.count + inChunk,
        skipped: skipped.length,
        resumedFrom,
      });
    }
    flush();
    save();
  } catch (err) {
    try {
      // Keep what was decoded before the failure, so the next run continues from there.
      flush();
      save();
    } catch {
      // the first error is the one to report; progress.json still holds the last good state
    }
    writer.close();
    throw err;
  }
  if (opts.signal?.aborted) {
    writer.close();
    throw new MissingUError(
      `preparing ${out} was stopped after ${position} of ${opened.total} images; run the same prepare again to continue`,
      { code: 'aborted' },
    );
  }
  if (writer.count === 0) {
    writer.close();
    removeStaging(out);
    throw new MissingUError(
      `no image in ${opened.path ?? opened.kind} could be read (${skipped.length} skipped; the first: ${skipped[0]?.reason})`,
      { code: 'format' },
    );
  }
  const sha256 = writer.digest();
  writer.close();
  return {
    count: writer.count,
    sha256,
    skipped,
    labels,
    /** images.u8.partial -> images.u8, then manifest.json (atomically, last), then progress.json removed. */
    finish(manifest: PreparedManifest): PreparedDataset {
      fs.renameSync(partial, done);
      syncDirectory(out);
      writeFileAtomic(path.join(out, MANIFEST_FILE), `${JSON.stringify(manifest)}\n`);
      fs.rmSync(path.join(out, PROGRESS_FILE), { force: true });
      return readPreparedManifest(out);
    },
  };
}
