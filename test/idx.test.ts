import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { parseTrainConfig } from '../lib/config/train-config';
import { loadDataset } from '../lib/data/load';
import { loadMnistIdx, loadMnistIdxAsync } from '../lib/data/mnist-idx';
import { readIdxFileAsync } from '../lib/io/idx';
import { missingUError, missingURejection } from './helpers/errors';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-idx-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function header(...dims: number[]): Buffer {
  const out = Buffer.alloc(4 + 4 * dims.length);
  [0x800 + dims.length, ...dims].forEach((v, i) => out.writeUInt32BE(v, 4 * i));
  return out;
}

function write(name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

const MiB = 1024 * 1024;

/** Gzip members of `megabytes` MiB of zeros after `head`, at `level` (1: ~230:1, 9: ~1000:1). */
function zerosAfter(head: Buffer, megabytes: number, level: number): Buffer {
  const zeros = zlib.gzipSync(Buffer.alloc(MiB), { level });
  return Buffer.concat([zlib.gzipSync(head), ...Array.from({ length: megabytes }, () => zeros)]);
}

/** Both loaders, the synchronous one and the streaming one `train` uses (through loadDataset). */
async function bothRefuse(images: string, labels?: string): Promise<string> {
  const sync = missingUError(() => loadMnistIdx(images, labels)).message;
  const config = parseTrainConfig({
    model: { preset: 'cunet-mnist' },
    data: { source: 'mnist-idx', images, labels },
    train: { steps: 1, batchSize: 1 },
  });
  expect((await missingURejection(loadDataset(config.data))).message).toBe(sync);
  return sync;
}

describe('gzipped IDX files that claim more than they hold', () => {
  it('refuses a header its compressed size cannot hold, before inflating', async () => {
    const file = write('lie.gz', zlib.gzipSync(Buffer.concat([header(60000, 28, 28), Buffer.alloc(1000)])));
    const size = fs.statSync(file).size;
    expect(await bothRefuse(file)).toBe(
      `IDX image file ${file} declares 60000x28x28 (47040016 bytes with its header), more than its ${size} ` +
        'compressed bytes can hold (gzip inflates at most 1032:1): a corrupt or crafted header',
    );
  });

  it('refuses a stream that ends before the size its header declares, naming the file', async () => {
    // 8 MiB of zeros at level 1 (~37 KB): 31 MB is within 1032:1 of that, so only the stream can tell.
    const file = write('short.gz', zerosAfter(header(40000, 28, 28), 8, 1));
    expect(await bothRefuse(file)).toBe(
      `IDX image file ${file} declares 40000x28x28 (31360016 bytes with its header) but holds ${16 + 8 * MiB}: truncated`,
    );
  });

  it('refuses a stream that inflates past its header, in the streaming reader too', async () => {
    const file = write('long.gz', zerosAfter(header(10, 28, 28), 64, 9)); // ~70 KB that inflates to 64 MiB
    expect(await bothRefuse(file)).toBe(
      `IDX image file ${file} inflates to more than the ${16 + 10 * 28 * 28} bytes its header declares`,
    );
  });

  it('streams the body in bounded chunks into the buffer made from the header', async () => {
    const file = write('zeros.gz', zerosAfter(header(16 * 1024, 32, 32), 16, 9)); // 16 MiB in ~17 KB
    const chunks: number[] = [];
    const dims = await readIdxFileAsync({
      file,
      what: 'IDX image file',
      ndims: 3,
      into: (declared, bytes) => {
        expect(declared).toEqual([16 * 1024, 32, 32]);
        expect(chunks).toEqual([]); // called before any byte of the body
        return (chunk, offset) => {
          expect(offset).toBe(chunks.reduce((a, b) => a + b, 0));
          chunks.push(chunk.length);
          expect(offset + chunk.length).toBeLessThanOrEqual(bytes);
        };
      },
    });
    expect(dims).toEqual([16 * 1024, 32, 32]);
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(16 * MiB);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('IDX images the models cannot take', () => {
  it('names the file when the images are not square or there are none', async () => {
    const oblong = write('oblong', Buffer.concat([header(2, 4, 3), Buffer.alloc(24)]));
    expect(await bothRefuse(oblong)).toBe(
      `IDX image file ${oblong} declares 2x4x3 (images x rows x columns): missing-u trains and samples square ` +
        'images, these are 4x3',
    );
    const none = write('none.gz', zlib.gzipSync(header(0, 28, 28)));
    expect(await bothRefuse(none)).toBe(
      `IDX image file ${none} declares 0x28x28 (images x rows x columns): it holds no images`,
    );
  });

  it('names both files when the labels do not match the images', async () => {
    const images = write('img', Buffer.concat([header(3, 2, 2), Buffer.alloc(12)]));
    const labels = write('lab.gz', zlib.gzipSync(Buffer.concat([header(2), Buffer.from([1, 2])])));
    expect(await bothRefuse(images, labels)).toBe(
      `IDX label file ${labels} holds 2 labels but IDX image file ${images} holds 3 images: ` +
        'give the label file of those images',
    );
  });

  it('decodes the same images and labels through both loaders, raw or gzipped', async () => {
    const pixels = Buffer.from(Array.from({ length: 3 * 4 }, (_, i) => (i * 85) % 256));
    const raw = Buffer.concat([header(3, 2, 2), pixels]);
    const labels = write('lab', Buffer.concat([header(3), Buffer.from([7, 8, 9])]));
    for (const images of [write('img', raw), write('img.gz', zlib.gzipSync(raw))]) {
      for (const dataset of [loadMnistIdx(images, labels), await loadMnistIdxAsync(images, labels)]) {
        expect(dataset.shape).toEqual([3, 1, 2, 2]);
        expect(Array.from(dataset.data)).toEqual(Array.from(Float32Array.from(pixels, (p) => p / 127.5 - 1)));
        expect(Array.from(dataset.labels ?? [])).toEqual([7, 8, 9]);
      }
    }
  });
});
