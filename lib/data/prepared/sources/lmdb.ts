import path from 'node:path';

import { MissingUError } from '../../../errors';
import { decodeImage } from '../decode';
import { LmdbReader } from '../lmdb-reader';
import type { ResizeRule } from '../manifest';
import { fileLine, fingerprintOf, type OpenedSource, type SourceOptions } from './source';

/** A key as it is named in messages: LSUN's keys are hex text; anything unprintable is shown in hex. */
function keyName(key: Buffer): string {
  const text = key.toString('latin1');
  return /^[\x20-\x7e]*$/.test(text) ? text : `0x${key.toString('hex')}`;
}

/** An LSUN-style LMDB export (a folder with data.mdb whose values are encoded images), in key order. */
export function openLmdb(location: string, imageSize: number, resize: ResizeRule, opts: SourceOptions): OpenedSource {
  const reader = LmdbReader.open(location);
  const total = Math.min(reader.count, opts.limit ?? reader.count);
  if (total === 0) {
    reader.close();
    throw new MissingUError(`LMDB ${reader.file} holds no entries`, { code: 'format' });
  }
  return {
    kind: 'lmdb',
    path: path.resolve(reader.file),
    fingerprint: fingerprintOf([fileLine(reader.file, 'data.mdb')]),
    details: { entries: reader.count, lmdbVersion: reader.version },
    total,
    imageSize,
    resize,
    *items(from, target) {
      let index = from;
      for (const { key, value } of reader.entries(from)) {
        if (index++ >= total) return;
        const id = `${reader.file}:${keyName(key)}`;
        yield { id, decode: () => decodeImage(value, target, `the image at key ${keyName(key)} of ${reader.file}`) };
      }
    },
    close: () => reader.close(),
  };
}
