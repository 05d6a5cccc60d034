import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import sharp from 'sharp';

import { loadImageFolder, loadMnistIdx } from '../lib';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-data-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function writeImage(file: string, width: number, height: number, rgb: [number, number, number]) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).toFile(file);
}

describe('image folders', () => {
  it('read PNG, JPEG and WebP recursively, resized and center-cropped to [-1, 1]', async () => {
    await writeImage(path.join(dir, 'a.png'), 40, 20, [255, 0, 0]);
    await writeImage(path.join(dir, 'sub', 'b.jpg'), 16, 16, [0, 0, 255]);
    await writeImage(path.join(dir, 'sub', 'deeper', 'c.webp'), 10, 30, [255, 255, 255]);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
    const dataset = await loadImageFolder(dir, { imageSize: 8 });
    expect(dataset.shape).toEqual([3, 3, 8, 8]);
    const pixel = (image: number, channel: number) => dataset.data[(image * 3 + channel) * 64 + 27];
    expect([pixel(0, 0), pixel(0, 1), pixel(0, 2)]).toEqual([1, -1, -1]); // red PNG
    expect(pixel(1, 2)).toBeGreaterThan(0.9); // blue JPEG (lossy)
    expect([pixel(2, 0), pixel(2, 1), pixel(2, 2)]).toEqual([1, 1, 1]); // white WebP
  });

  it('report a corrupt image by path and skip it, or stop when asked to', async () => {
    await writeImage(path.join(dir, 'good.png'), 8, 8, [0, 0, 0]);
    fs.writeFileSync(path.join(dir, 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\n but then nothing'));
    const writes: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const dataset = await loadImageFolder(dir, { imageSize: 8, channels: 1 });
      expect(dataset.shape).toEqual([1, 1, 8, 8]);
    } finally {
      spy.mockRestore();
    }
    expect(writes.join('')).toContain(`skipping cannot read image ${path.join(dir, 'broken.png')}`);
    await expect(loadImageFolder(dir, { imageSize: 8, onCorrupt: 'fail' })).rejects.toThrow(
      `cannot read image ${path.join(dir, 'broken.png')}`,
    );
  });

  it('say when the folder is missing or empty', async () => {
    await expect(loadImageFolder(path.join(dir, 'nope'), { imageSize: 8 })).rejects.toThrow('does not exist');
    await expect(loadImageFolder(dir, { imageSize: 8 })).rejects.toThrow('holds no .png, .jpg, .jpeg or .webp files');
  });
});

describe('MNIST IDX files', () => {
  function idx(count: number): { images: Buffer; labels: Buffer } {
    const images = Buffer.alloc(16 + count * 4);
    images.writeUInt32BE(0x803, 0);
    images.writeUInt32BE(count, 4);
    images.writeUInt32BE(2, 8);
    images.writeUInt32BE(2, 12);
    for (let i = 0; i < count * 4; i++) images[16 + i] = (i * 85) % 256;
    const labels = Buffer.alloc(8 + count);
    labels.writeUInt32BE(0x801, 0);
    labels.writeUInt32BE(count, 4);
    for (let i = 0; i < count; i++) labels[8 + i] = i % 10;
    return { images, labels };
  }

  it('read images and labels, gzipped or not', () => {
    const { images, labels } = idx(3);
    fs.writeFileSync(path.join(dir, 'img'), images);
    fs.writeFileSync(path.join(dir, 'lab.gz'), zlib.gzipSync(labels));
    const dataset = loadMnistIdx(path.join(dir, 'img'), path.join(dir, 'lab.gz'));
    expect(dataset.shape).toEqual([3, 1, 2, 2]);
    expect(dataset.data[0]).toBe(-1);
    expect(dataset.data[3]).toBe(1);
    expect(Array.from(dataset.labels ?? [])).toEqual([0, 1, 2]);
  });

  it('refuse truncated or foreign files', () => {
    const { images } = idx(3);
    fs.writeFileSync(path.join(dir, 'short'), images.subarray(0, 20));
    expect(() => loadMnistIdx(path.join(dir, 'short'))).toThrow('truncated');
    fs.writeFileSync(path.join(dir, 'other'), Buffer.from('hello world, not idx'));
    expect(() => loadMnistIdx(path.join(dir, 'other'))).toThrow('is not an IDX image file');
  });
});
