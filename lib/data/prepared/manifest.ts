import fs from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { MissingUError } from '../../errors';
import { readJsonFile } from '../../io/json-file';
import { RESIZE_RULES } from '../../schemas/names';

/** The format marker of a prepared dataset's manifest.json. */
export const PREPARED_FORMAT = 'missing-u/prepared-1';
export const MANIFEST_FILE = 'manifest.json';
export const IMAGES_FILE = 'images.u8';

export const SOURCE_KINDS = ['image-folder', 'mnist-idx', 'mnist-package', 'lmdb'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];
export { RESIZE_RULES, type ResizeRule } from '../../schemas/names';

/** How far a prepare is: source images read (`done` of `total`), of which `written` kept and `skipped` corrupt. */
export interface PrepareProgress {
  done: number;
  total: number;
  written: number;
  skipped: number;
  /** Where this run started: more than 0 when it continues an interrupted prepare. */
  resumedFrom: number;
}

const count = z.number().int().nonnegative().safe();
const side = z.number().int().positive().safe();

/** What produced a prepared set; two prepares with equal settings write the same bytes. */
export const PrepareSettingsSchema = z
  .object({
    /** The source's kind, its path(s) and a hash of its file list, sizes and mtimes. */
    source: z
      .object({
        kind: z.enum(SOURCE_KINDS),
        path: z.string().optional(),
        labels: z.string().optional(),
        fingerprint: z.string(),
      })
      .strict(),
    imageSize: side,
    channels: z.union([z.literal(1), z.literal(3)]),
    resize: z.enum(RESIZE_RULES).nullable(),
    limit: side.nullable(),
  })
  .strict();
export type PrepareSettings = z.infer<typeof PrepareSettingsSchema>;

export const SkippedSchema = z.object({ path: z.string(), reason: z.string() }).strict();
export type SkippedImage = z.infer<typeof SkippedSchema>;

export const PreparedManifestSchema = z
  .object({
    format: z.literal(PREPARED_FORMAT),
    count: count.positive(),
    channels: z.union([z.literal(1), z.literal(3)]),
    height: side,
    width: side,
    dtype: z.literal('uint8'),
    layout: z.literal('NCHW'),
    file: z.literal(IMAGES_FILE),
    bytes: count,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    source: z
      .object({ kind: z.enum(SOURCE_KINDS), path: z.string().optional(), labels: z.string().optional() })
      .passthrough(),
    resize: z.enum(RESIZE_RULES).nullable(),
    imageSize: side,
    labels: z.array(count).optional(),
    classes: z.array(z.string()).optional(),
    skipped: z.array(SkippedSchema),
    createdAt: z.string().datetime(),
    settings: PrepareSettingsSchema,
  })
  .strict();
/** manifest.json of a prepared dataset: images.u8 holds `count` uint8 images of channels x height x width, NCHW. */
export type PreparedManifest = z.infer<typeof PreparedManifestSchema>;

/** A prepared dataset: its validated manifest and the paths of its files. */
export interface PreparedDataset {
  dir: string;
  manifest: PreparedManifest;
  manifestFile: string;
  imagesFile: string;
  /** Bytes per image: channels x height x width. */
  stride: number;
}

function formatError(message: string): MissingUError {
  return new MissingUError(message, { code: 'format' });
}

/** The manifest's own consistency: what the shape fields say must agree with each other. */
function consistencyProblem(m: PreparedManifest): string | undefined {
  if (m.height !== m.width || m.height !== m.imageSize) {
    return `its images are ${m.height}x${m.width} but imageSize is ${m.imageSize} (prepared images are square)`;
  }
  const bytes = m.count * m.channels * m.height * m.width;
  if (m.bytes !== bytes) {
    return `bytes is ${m.bytes} but count x channels x height x width = ${m.count} x ${m.channels} x ${m.height} x ${m.width} = ${bytes}`;
  }
  if (m.labels && m.labels.length !== m.count) return `it has ${m.labels.length} labels for ${m.count} images`;
  if (m.labels && m.classes && m.labels.some((label) => label >= m.classes!.length)) {
    return `a label is not below the ${m.classes.length} classes it names`;
  }
  if (m.channels !== m.settings.channels || m.imageSize !== m.settings.imageSize) {
    return 'its shape differs from the settings it records';
  }
  return undefined;
}

/** Parses manifest.json's contents (already read), naming `file` in every error. */
export function parsePreparedManifest(json: unknown, file: string): PreparedManifest {
  const format = (json as { format?: unknown } | null)?.format;
  if (format !== PREPARED_FORMAT) {
    throw formatError(
      `${file} is not a missing-u prepared dataset manifest (format ${JSON.stringify(format)}, expected "${PREPARED_FORMAT}")`,
    );
  }
  const parsed = PreparedManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw formatError(
      `prepared dataset manifest ${file} is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const problem = consistencyProblem(parsed.data);
  if (problem) throw formatError(`prepared dataset manifest ${file} is inconsistent: ${problem}`);
  return parsed.data;
}

/**
 * Reads and validates `<dir>/manifest.json` and checks that images.u8 is a regular file of exactly the
 * bytes the manifest declares (count x channels x height x width). Any mismatch is a MissingUError
 * (code 'format', or 'file' for a missing file) naming the file at fault.
 */
export function readPreparedManifest(dir: string): PreparedDataset {
  const manifestFile = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(manifestFile)) {
    throw new MissingUError(
      `${dir} is not a prepared dataset: it has no ${MANIFEST_FILE} (make one with missing-u data prepare)`,
      { code: 'file' },
    );
  }
  const manifest = parsePreparedManifest(readJsonFile(manifestFile, 'prepared dataset manifest'), manifestFile);
  const imagesFile = path.join(dir, manifest.file);
  let stats: fs.Stats;
  try {
    stats = fs.statSync(imagesFile);
  } catch {
    throw new MissingUError(`prepared dataset file ${imagesFile} does not exist (${manifestFile} names it)`, {
      code: 'file',
    });
  }
  if (!stats.isFile())
    throw new MissingUError(`prepared dataset file ${imagesFile} is not a regular file`, { code: 'file' });
  if (stats.size !== manifest.bytes) {
    const shape = `${manifest.count} x ${manifest.channels} x ${manifest.height} x ${manifest.width}`;
    throw formatError(
      `prepared dataset file ${imagesFile} holds ${stats.size} bytes but ${manifestFile} declares ${manifest.bytes} ` +
        `(${shape}): ${stats.size < manifest.bytes ? 'it is truncated' : 'the manifest does not describe it'}; prepare it again`,
    );
  }
  const stride = manifest.channels * manifest.height * manifest.width;
  return { dir, manifest, manifestFile, imagesFile, stride };
}
