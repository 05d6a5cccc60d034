import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { open as openLmdb } from 'lmdb';
import sharp from 'sharp';

import { loadImageFolder } from '../lib/data/image-folder';
import { loadMnistPackage } from '../lib/data/mnist-package';
import { data } from '../lib/data/prepared';
import * as decode from '../lib/data/prepared/decode';
import { lockFolder } from '../lib/data/prepared/lock';
import { IMAGES_FILE, MANIFEST_FILE, type PreparedManifest } from '../lib/data/prepared/manifest';
import { MissingUError } from '../lib/errors';
import { maxAbsDifference } from './helpers/compare';
import { lmdbImages, writeLmdbImages } from './helpers/lmdb-images';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-prepare-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `fn` with stderr captured (skipped images are reported there); returns what it wrote. */
async function quietly<T>(fn: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  const writes: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    writes.push(String(chunk));
    return true;
  });
  try {
    return { value: await fn(), stderr: writes.join('') };
  } finally {
    spy.mockRestore();
  }
}

/** An RGB image whose pixels differ along x and y (a flip or a transpose would show). */
async function writeAsymmetric(file: string, width: number, height: number, seed: number, format = 'png') {
  const raw = Buffer.alloc(width * height * 3);
  for (let p = 0; p < raw.length; p++) {
    const x = Math.floor(p / 3) % width;
    const y = Math.floor(p / 3 / width);
    raw[p] = (seed * 41 + x * 23 + y * 7 + (p % 3) * 90) & 255;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const image = sharp(raw, { raw: { width, height, channels: 3 } });
  await (
    format === 'jpg' ? image.jpeg({ quality: 95 }) : format === 'webp' ? image.webp({ lossless: true }) : image.png()
  ).toFile(file);
}

/** Two class folders of asymmetric images of several shapes and formats, and one corrupt PNG. */
async function writeClassFolder(root: string): Promise<string> {
  await writeAsymmetric(path.join(root, 'cats', 'a.png'), 40, 20, 1);
  await writeAsymmetric(path.join(root, 'cats', 'b.jpg'), 17, 31, 2, 'jpg');
  await writeAsymmetric(path.join(root, 'cats', 'deeper', 'c.webp'), 9, 9, 3, 'webp');
  await writeAsymmetric(path.join(root, 'dogs', 'd.png'), 13, 50, 4);
  await writeAsymmetric(path.join(root, 'dogs', 'e.png'), 64, 48, 5);
  const broken = path.join(root, 'dogs', 'broken.png');
  fs.writeFileSync(broken, Buffer.from('\x89PNG\r\n\x1a\n but then nothing'));
  return broken;
}

const readImages = (out: string) => fs.readFileSync(path.join(out, IMAGES_FILE));
const asFloats = (bytes: Uint8Array) => Float32Array.from(bytes, (b) => b / 127.5 - 1);

describe('data.prepare of an image folder', () => {
  it('writes exactly the bytes of the in-memory decode, with class labels and the corrupt file listed', async () => {
    const source = path.join(dir, 'images');
    const broken = await writeClassFolder(source);
    for (const channels of [3, 1] as const) {
      const out = path.join(dir, `out-${channels}`);
      const { value: result, stderr } = await quietly(() => data.prepare(source, { out, imageSize: 8, channels }));
      const { value: memory } = await quietly(() => loadImageFolder(source, { imageSize: 8, channels }));
      expect(stderr).toContain(`missing-u: skipping ${broken}`);
      const m = result.manifest;
      expect([m.count, m.channels, m.height, m.width, m.bytes]).toEqual([5, channels, 8, 8, 5 * channels * 64]);
      expect(memory.shape).toEqual([5, channels, 8, 8]);
      expect(asFloats(readImages(out))).toEqual(memory.data);
      expect(m.classes).toEqual(['cats', 'dogs']);
      expect(m.labels).toEqual([0, 0, 0, 1, 1]);
      expect(m.skipped).toEqual([{ path: broken, reason: expect.stringContaining('') }]);
      expect(m.resize).toBe('cover');
      expect(m.source).toMatchObject({ kind: 'image-folder', path: source });
      expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(fs.readdirSync(out).sort()).toEqual([IMAGES_FILE, MANIFEST_FILE]);
    }
  });

  it('cover crops the centre, squash keeps the whole image', async () => {
    // 40x20: the left quarter red, the rest blue. Squashed to 8x8 the red columns stay; the centre crop drops them.
    const raw = Buffer.alloc(40 * 20 * 3);
    for (let p = 0; p < 40 * 20; p++) raw.set(p % 40 < 10 ? [255, 0, 0] : [0, 0, 255], p * 3);
    const source = path.join(dir, 'images');
    fs.mkdirSync(source);
    await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } })
      .png()
      .toFile(path.join(source, 'x.png'));
    const cover = await data.prepare(source, { out: path.join(dir, 'cover'), imageSize: 8, resize: 'cover' });
    const squash = await data.prepare(source, { out: path.join(dir, 'squash'), imageSize: 8, resize: 'squash' });
    const red = (out: string, x: number) => readImages(out)[0 * 64 + 4 * 8 + x];
    expect(red(squash.dir, 0)).toBe(255);
    expect(red(cover.dir, 0)).toBeLessThan(64); // only the resampling kernel's reach into the cropped-off red
    expect([red(cover.dir, 7), red(squash.dir, 7)]).toEqual([0, 0]);
    expect([cover.manifest.resize, squash.manifest.resize]).toEqual(['cover', 'squash']);
    for (const [result, fit] of [
      [cover, { fit: 'cover', position: 'centre' }],
      [squash, { fit: 'fill' }],
    ] as const) {
      const expected = await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } })
        .resize(8, 8, fit)
        .raw()
        .toBuffer();
      const planes = readImages(result.dir);
      for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) expect(planes[c * 64 + p]).toBe(expected[p * 3 + c]);
    }
  });

  it('is a no-op the second time, refuses other settings, and refuses a folder it did not write', async () => {
    const source = path.join(dir, 'images');
    await writeAsymmetric(path.join(source, 'a.png'), 12, 10, 1);
    const out = path.join(dir, 'out');
    const first = await data.prepare(source, { out, imageSize: 8 });
    const files = [IMAGES_FILE, MANIFEST_FILE].map((name) => path.join(out, name));
    const mtimes = files.map((file) => fs.statSync(file).mtimeMs);
    const again = await data.prepare(source, { out, imageSize: 8 });
    expect([first.reused, again.reused]).toEqual([false, true]);
    expect(files.map((file) => fs.statSync(file).mtimeMs)).toEqual(mtimes);
    await expect(data.prepare(source, { out, imageSize: 6 })).rejects.toThrow(
      `${out} holds a prepared dataset made with other settings: imageSize 8 (this run: 6)`,
    );
    await expect(data.prepare(source, { out, imageSize: 8, resize: 'squash' })).rejects.toThrow(
      'resize cover (this run: squash)',
    );
    // The source changed (another mtime): another source.
    fs.utimesSync(path.join(source, 'a.png'), new Date(), new Date(Date.now() + 5000));
    await expect(data.prepare(source, { out, imageSize: 8 })).rejects.toThrow('the source changed');
    expect(files.map((file) => fs.statSync(file).mtimeMs)).toEqual(mtimes);

    const foreign = path.join(dir, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    await expect(data.prepare(source, { out: foreign, imageSize: 8 })).rejects.toThrow(
      `refusing to prepare into ${foreign}: it is a folder that holds files but no missing-u prepared dataset`,
    );
    expect(fs.readdirSync(foreign)).toEqual(['notes.txt']);
  });

  it('names the folder when it is missing, holds no images, or none can be read', async () => {
    await expect(data.prepare(path.join(dir, 'nope'), { out: path.join(dir, 'o1'), imageSize: 8 })).rejects.toThrow(
      `data source ${path.join(dir, 'nope')} does not exist`,
    );
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'notes.txt'), 'no images');
    const refused = data.prepare(empty, { out: path.join(dir, 'o2'), imageSize: 8 });
    await expect(refused).rejects.toThrow(`image folder ${empty} holds no .png, .jpg, .jpeg or .webp files`);
    await expect(refused).rejects.toBeInstanceOf(MissingUError);
    fs.writeFileSync(path.join(empty, 'x.png'), 'not a png');
    const { value: failed } = await quietly(() =>
      data.prepare(empty, { out: path.join(dir, 'o3'), imageSize: 8 }).catch((err: Error) => err),
    );
    expect((failed as Error).message).toContain(`no image in ${empty} could be read (1 skipped`);
    expect(fs.readdirSync(path.join(dir, 'o3'))).toEqual([]);
    await expect(data.prepare(empty, { out: path.join(dir, 'o4'), imageSize: 8, onCorrupt: 'fail' })).rejects.toThrow(
      `cannot read image ${path.join(empty, 'x.png')}`,
    );
    await expect(data.prepare(empty, { out: path.join(dir, 'o5') })).rejects.toThrow(
      'needs an image size (--image-size n)',
    );
  });
  it('stops at an error of the program itself instead of listing every image as corrupt', async () => {
    const source = path.join(dir, 'images');
    await writeAsymmetric(path.join(source, 'a.png'), 12, 10, 1);
    const spy = jest.spyOn(decode, 'decodeImage').mockRejectedValue(new TypeError('a bug'));
    try {
      await expect(data.prepare(source, { out: path.join(dir, 'out'), imageSize: 8 })).rejects.toThrow(TypeError);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('prepared dataset manifests', () => {
  async function prepared(): Promise<string> {
    const source = path.join(dir, 'images');
    await writeAsymmetric(path.join(source, 'a.png'), 12, 10, 1);
    await writeAsymmetric(path.join(source, 'b.png'), 10, 12, 2);
    return (await data.prepare(source, { out: path.join(dir, 'out'), imageSize: 4 })).dir;
  }
  const rewrite = (out: string, change: (m: PreparedManifest) => unknown) => {
    const file = path.join(out, MANIFEST_FILE);
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as PreparedManifest;
    fs.writeFileSync(file, JSON.stringify(change(m)));
    return file;
  };

  it('open a valid one', async () => {
    const out = await prepared();
    const opened = data.open(out);
    expect([opened.manifest.count, opened.stride, opened.imagesFile]).toEqual([2, 48, path.join(out, IMAGES_FILE)]);
  });

  it('refuse a manifest that lies about N, C, H or W, naming it', async () => {
    const out = await prepared();
    const file = rewrite(out, (m) => ({ ...m, count: 3, bytes: 3 * 48 }));
    expect(() => data.open(out)).toThrow(
      `prepared dataset file ${path.join(out, IMAGES_FILE)} holds 96 bytes but ${file} declares 144`,
    );
    rewrite(out, (m) => ({ ...m, count: 2, bytes: 96, channels: 1 }));
    expect(() => data.open(out)).toThrow(
      `prepared dataset manifest ${file} is inconsistent: bytes is 96 but count x channels`,
    );
    rewrite(out, (m) => ({ ...m, channels: 3, height: 5 }));
    expect(() => data.open(out)).toThrow(`${file} is inconsistent: its images are 5x4 but imageSize is 4`);
    rewrite(out, (m) => ({ ...m, height: 4, format: 'something/else' }));
    expect(() => data.open(out)).toThrow(`${file} is not a missing-u prepared dataset manifest`);
    fs.writeFileSync(file, '{"format": "missing-u/prepared-1", ');
    expect(() => data.open(out)).toThrow(`prepared dataset manifest ${file} is not valid JSON`);
  });

  it('refuse a data file shorter than the manifest says, naming it', async () => {
    const out = await prepared();
    const images = path.join(out, IMAGES_FILE);
    fs.truncateSync(images, 50);
    let error: unknown;
    try {
      data.open(out);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MissingUError);
    expect((error as MissingUError).code).toBe('format');
    expect((error as MissingUError).message).toContain(`prepared dataset file ${images} holds 50 bytes`);
    expect((error as MissingUError).message).toContain('it is truncated');
    // A second prepare into it does not pass over the damage either.
    await expect(data.prepare(path.join(dir, 'images'), { out, imageSize: 4 })).rejects.toThrow(images);
    fs.rmSync(images);
    expect(() => data.open(out)).toThrow(`prepared dataset file ${images} does not exist`);
  });
});

describe('resuming a prepare', () => {
  it('continues from a recorded count, cutting what a kill left past it, to the bytes of an uninterrupted run', async () => {
    const source = path.join(dir, 'images');
    for (let i = 0; i < 40; i++)
      await writeAsymmetric(path.join(source, `${String(i).padStart(2, '0')}.png`), 9 + (i % 4), 7, i);
    fs.writeFileSync(path.join(source, '05x.png'), 'corrupt');
    const whole = await quietly(() => data.prepare(source, { out: path.join(dir, 'whole'), imageSize: 6 }));
    const expected = readImages(whole.value.dir);

    // Stop it after 13 images (an abort records progress as a kill's last save would) ...
    const out = path.join(dir, 'resumed');
    const controller = new AbortController();
    const stopped = await quietly(() =>
      data
        .prepare(source, {
          out,
          imageSize: 6,
          concurrency: 1,
          signal: controller.signal,
          onProgress: (p) => p.done === 13 && controller.abort(),
        })
        .catch((err: MissingUError) => err),
    );
    expect((stopped.value as MissingUError).code).toBe('aborted');
    expect((stopped.value as MissingUError).message).toContain('was stopped after 13 of 41 images');
    const progress = JSON.parse(fs.readFileSync(path.join(out, 'progress.json'), 'utf8')) as {
      position: number;
      count: number;
    };
    expect(progress).toMatchObject({ position: 13, count: 12 });
    // ... then append garbage past the recorded count, as a kill between a write and its record would leave.
    fs.appendFileSync(path.join(out, `${IMAGES_FILE}.partial`), Buffer.alloc(500, 7));
    const other = data.prepare(source, { out, imageSize: 8 });
    await expect(other).rejects.toThrow(
      `${out} holds an unfinished prepare made with other settings: imageSize 6 (this run: 8)`,
    );

    const resumed = await quietly(() => data.prepare(source, { out, imageSize: 6 }));
    expect(resumed.value.resumedFrom).toBe(13);
    expect(readImages(out).equals(expected)).toBe(true);
    expect({ ...resumed.value.manifest, createdAt: '' }).toEqual({ ...whole.value.manifest, createdAt: '' });
    expect(resumed.value.manifest.skipped).toEqual([
      { path: path.join(source, '05x.png'), reason: expect.any(String) },
    ]);
    expect(fs.readdirSync(out).sort()).toEqual([IMAGES_FILE, MANIFEST_FILE]);
  });

  it('lets one process at a time write a folder: another is refused, or waits when asked to; a dead one is no holder', async () => {
    const source = path.join(dir, 'images');
    for (let i = 0; i < 3; i++) await writeAsymmetric(path.join(source, `${i}.png`), 8, 8, i);
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const release = await lockFolder(out, false);
    await expect(data.prepare(source, { out, imageSize: 4 })).rejects.toThrow(
      `another missing-u data prepare (pid ${process.pid} on ${os.hostname()}) is writing ${out}`,
    );
    let finished = false;
    const waiting = data.prepare(source, { out, imageSize: 4, wait: true }).then((result) => {
      finished = true;
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(finished).toBe(false);
    release();
    expect((await waiting).reused).toBe(false);
    expect(fs.existsSync(path.join(out, 'prepare.lock'))).toBe(false);

    // A lock left by a process that is gone (kill -9) is taken over.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'prepare.lock'), JSON.stringify({ pid: Number(dead), host: os.hostname() }));
    fs.writeFileSync(path.join(other, `prepare.lock.${dead}.tmp`), 'killed while taking the lock');
    expect((await data.prepare(source, { out: other, imageSize: 4 })).manifest.count).toBe(3);
    expect(fs.readdirSync(other).sort()).toEqual([IMAGES_FILE, MANIFEST_FILE]);
  });
});

describe('MNIST sources', () => {
  it('mnist-package: the bytes of loadMnistPackage, in its order, limit and labels', async () => {
    const result = await data.prepare('mnist-package', { out: path.join(dir, 'digits'), limit: 25 });
    const memory = loadMnistPackage(25);
    const m = result.manifest;
    expect([m.count, m.channels, m.imageSize, m.resize]).toEqual([30, 1, 28, null]);
    expect(m.labels).toEqual(Array.from(memory.labels!));
    expect(m.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const bytes = readImages(result.dir);
    // The package stores b / 255 rounded to 3 decimals: each byte is the one that rounds to it, exactly.
    const fromPackage = Float32Array.from(bytes, (b) => Number((b / 255).toFixed(3)) * 2 - 1);
    expect(fromPackage).toEqual(memory.data);
    expect(maxAbsDifference(asFloats(bytes), memory.data)).toBeLessThanOrEqual(0.001 + 1e-6);
  });

  it('mnist-idx: the IDX bytes and labels, resized only when asked for another size', async () => {
    const count = 3;
    const pixels = Buffer.from(Array.from({ length: count * 28 * 28 }, (_, i) => (i * 7) & 255));
    const header = (magic: number, dims: number[]) => {
      const h = Buffer.alloc(4 + 4 * dims.length);
      h.writeUInt32BE(magic, 0);
      dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
      return h;
    };
    const images = path.join(dir, 'images.idx');
    const labels = path.join(dir, 'labels.idx');
    fs.writeFileSync(images, Buffer.concat([header(0x803, [count, 28, 28]), pixels]));
    fs.writeFileSync(labels, Buffer.concat([header(0x801, [count]), Buffer.from([7, 0, 3])]));
    const same = await data.prepare({ kind: 'mnist-idx', images, labels }, { out: path.join(dir, 'a') });
    expect(readImages(same.dir).equals(pixels)).toBe(true);
    expect([same.manifest.labels, same.manifest.resize, same.manifest.source.labels]).toEqual([
      [7, 0, 3],
      null,
      labels,
    ]);
    const small = await data.prepare(images, { out: path.join(dir, 'b'), imageSize: 14, limit: 2 });
    expect([small.manifest.count, small.manifest.imageSize, small.manifest.resize, small.manifest.labels]).toEqual([
      2,
      14,
      'cover',
      undefined,
    ]);
    fs.writeFileSync(labels, Buffer.concat([header(0x801, [2]), Buffer.from([7, 0])]));
    await expect(data.prepare({ kind: 'mnist-idx', images, labels }, { out: path.join(dir, 'c') })).rejects.toThrow(
      `IDX label file ${labels} holds 2 labels but IDX image file ${images} holds 3 images`,
    );
  });
});

describe('LMDB exports', () => {
  const FIXTURE = path.join(__dirname, 'fixtures', 'lmdb-v1');

  async function expectLikeItsImages(out: string, stderr: string, lmdbFile: string) {
    const folder = path.join(dir, 'as-files');
    await writeLmdbImages(folder, '.png');
    const { value: files } = await quietly(() =>
      data.prepare(folder, { out: path.join(dir, 'from-files'), imageSize: 6, resize: 'squash' }),
    );
    const m = data.open(out).manifest;
    expect(m.count).toBe(61);
    expect(readImages(out).equals(readImages(files.dir))).toBe(true);
    expect(m.skipped).toEqual([{ path: `${lmdbFile}:img-corrupt`, reason: expect.any(String) }]);
    expect(stderr).toContain(`missing-u: skipping ${lmdbFile}:img-corrupt`);
  }

  it('read a version 1 LMDB (LMDB 0.9, as py-lmdb and the LSUN exports write it), in key order', async () => {
    const lmdbFile = path.join(FIXTURE, 'data.mdb');
    const out = path.join(dir, 'v1');
    const { stderr } = await quietly(() => data.prepare(FIXTURE, { out, imageSize: 6, resize: 'squash' }));
    await expectLikeItsImages(out, stderr, lmdbFile);
    expect(data.open(out).manifest.source).toMatchObject({ kind: 'lmdb', path: lmdbFile, entries: 62, lmdbVersion: 1 });
    // Only the prepared folder was written: the fixture has no lock file or anything else new.
    expect(fs.readdirSync(FIXTURE).sort()).toEqual(['data.mdb', 'make.sh']);
  });

  it('read a version 2 LMDB (written by the npm package lmdb)', async () => {
    const folder = path.join(dir, 'v2');
    const db = openLmdb({ path: folder, encoding: 'binary', keyEncoding: 'binary' });
    for (const { key, bytes } of await lmdbImages()) db.putSync(Buffer.from(key), bytes);
    await db.close();
    const out = path.join(dir, 'v2-out');
    const { stderr } = await quietly(() => data.prepare(folder, { out, imageSize: 6, resize: 'squash' }));
    await expectLikeItsImages(out, stderr, path.join(folder, 'data.mdb'));
    expect(data.open(out).manifest.source).toMatchObject({ lmdbVersion: 2 });
  });

  it('refuse a data.mdb that is not LMDB, or a damaged one, naming it', async () => {
    const folder = path.join(dir, 'fake');
    fs.mkdirSync(folder);
    const file = path.join(folder, 'data.mdb');
    fs.writeFileSync(file, Buffer.alloc(10000, 7));
    await expect(data.prepare(folder, { out: path.join(dir, 'o1'), imageSize: 6 })).rejects.toThrow(
      `${file} is not an LMDB database (no LMDB meta page at its start`,
    );
    // The fixture with its first leaf page's node offsets overwritten.
    const damaged = Buffer.from(fs.readFileSync(path.join(FIXTURE, 'data.mdb')));
    for (let page = 2; page * 4096 < damaged.length; page++) {
      if (damaged.readUInt16LE(page * 4096 + 10) === 0x02) {
        damaged.fill(0xff, page * 4096 + 16, page * 4096 + 40);
        break;
      }
    }
    fs.writeFileSync(file, damaged);
    await expect(data.prepare(folder, { out: path.join(dir, 'o2'), imageSize: 6 })).rejects.toThrow(
      `LMDB file ${file} is damaged: page`,
    );
  });
});

describe('the prepared cache', () => {
  it('prepares a config data section once, in a folder keyed by its files and settings', async () => {
    const source = path.join(dir, 'images');
    await writeAsymmetric(path.join(source, 'a.png'), 12, 10, 1);
    await writeAsymmetric(path.join(source, 'b.png'), 10, 12, 2);
    const previous = process.env.MISSING_U_CACHE;
    process.env.MISSING_U_CACHE = path.join(dir, 'cache');
    try {
      const spec = { source: 'image-folder', path: source, imageSize: 8, channels: 3, horizontalFlip: true } as const;
      const first = await data.preparedCacheFor(spec);
      expect(path.dirname(first.dir)).toBe(path.join(dir, 'cache', 'prepared'));
      expect(path.basename(first.dir)).toMatch(/^image-folder-8px-[0-9a-f]{24}$/);
      const { value: memory } = await quietly(() => loadImageFolder(source, { imageSize: 8 }));
      expect(asFloats(readImages(first.dir))).toEqual(memory.data);
      const second = await data.preparedCacheFor(spec);
      expect([first.reused, second.reused, second.dir]).toEqual([false, true, first.dir]);
      // Other settings or a changed file: another folder.
      expect((await data.preparedCacheFor({ ...spec, imageSize: 4 })).dir).not.toBe(first.dir);
      fs.utimesSync(path.join(source, 'a.png'), new Date(), new Date(Date.now() + 5000));
      const changed = await data.preparedCacheFor(spec);
      expect([changed.reused, changed.dir === first.dir]).toEqual([false, false]);
      const digits = await data.preparedCacheFor({ source: 'mnist-package', limit: 10 });
      expect(path.basename(digits.dir)).toMatch(/^mnist-package-28px-/);
      expect(digits.manifest.count).toBe(10);
    } finally {
      if (previous === undefined) delete process.env.MISSING_U_CACHE;
      else process.env.MISSING_U_CACHE = previous;
    }
  });
});
