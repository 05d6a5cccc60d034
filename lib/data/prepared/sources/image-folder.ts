import fs from 'node:fs';
import path from 'node:path';

import { MissingUError } from '../../../errors';
import { READ_LIMITS, readBounded } from '../../../io/bounded-read';
import { decodeImage } from '../decode';
import type { ResizeRule } from '../manifest';
import { fileLine, fingerprintOf, type OpenedSource, type SourceOptions } from './source';

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

/** Every image file under `dir`, recursively, in sorted path order (loadImageFolder's order). */
function imageFiles(dir: string): string[] {
  const found: string[] = [];
  const visit = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (EXTENSIONS.has(path.extname(entry.name).toLowerCase())) found.push(full);
    }
  };
  visit(dir);
  return found.sort();
}

/** Classes from first-level subfolders, when every image sits in one: their names in sorted order. */
function classesOf(dir: string, files: string[]): { classes: string[]; labels: number[] } | undefined {
  const firsts = files.map((file) => path.relative(dir, file).split(path.sep));
  if (firsts.some((parts) => parts.length < 2)) return undefined;
  const classes = [...new Set(firsts.map((parts) => parts[0]))].sort();
  const index = new Map(classes.map((name, i) => [name, i]));
  return { classes, labels: firsts.map((parts) => index.get(parts[0])!) };
}

/** A folder of PNG/JPEG/WebP images (recursive, sorted paths), resized by `resize`. */
export function openImageFolder(dir: string, imageSize: number, resize: ResizeRule, opts: SourceOptions): OpenedSource {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new MissingUError(`image folder ${dir} does not exist (give a folder of PNG/JPEG/WebP images)`, {
      code: 'file',
    });
  }
  let files = imageFiles(root);
  if (opts.limit !== undefined) files = files.slice(0, opts.limit);
  if (files.length === 0) {
    throw new MissingUError(`image folder ${dir} holds no .png, .jpg, .jpeg or .webp files`, { code: 'file' });
  }
  const classified = classesOf(root, files);
  return {
    kind: 'image-folder',
    path: root,
    fingerprint: fingerprintOf(files.map((file) => fileLine(file, path.relative(root, file)))),
    details: { files: files.length },
    total: files.length,
    imageSize,
    resize,
    classes: classified?.classes,
    *items(from, target) {
      for (let i = from; i < files.length; i++) {
        const file = files[i];
        yield {
          id: file,
          label: classified?.labels[i],
          // Read on the main thread, through the bounded reader (a FIFO or device named x.png is refused):
          // a small file costs less read at once than in the four thread-pool round trips of an async
          // read, which would also queue behind sharp's pipelines in the same pool.
          decode: async () => decodeImage(readBounded(file, 'image', READ_LIMITS.image), target, `image ${file}`),
        };
      }
    },
    close: () => undefined,
  };
}
