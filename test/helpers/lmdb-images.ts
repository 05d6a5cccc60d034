import fs from 'node:fs';
import path from 'node:path';

import sharp from 'sharp';

/**
 * The images of the LMDB fixture (test/fixtures/lmdb-v1): 60 small asymmetric PNGs, one noise PNG larger
 * than an LMDB page (stored on overflow pages) and one value that is no image, by key in key order.
 */
export async function lmdbImages(): Promise<Array<{ key: string; bytes: Buffer }>> {
  const images: Array<{ key: string; bytes: Buffer }> = [];
  for (let i = 0; i < 60; i++) {
    const width = 5 + (i % 7);
    const height = 4 + (i % 5);
    const raw = Buffer.alloc(width * height * 3);
    for (let p = 0; p < raw.length; p++) {
      const x = Math.floor(p / 3) % width;
      const y = Math.floor(p / 3 / width);
      raw[p] = (i * 37 + x * 29 + y * 13 + (p % 3) * 80) & 255;
    }
    const bytes = await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    images.push({ key: `img-${String(i).padStart(3, '0')}`, bytes });
  }
  let state = 12345;
  const noise = Buffer.alloc(56 * 56 * 3);
  for (let p = 0; p < noise.length; p++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    noise[p] = state >> 16;
  }
  images.push({
    key: 'img-big',
    bytes: await sharp(noise, { raw: { width: 56, height: 56, channels: 3 } })
      .png()
      .toBuffer(),
  });
  images.push({ key: 'img-corrupt', bytes: Buffer.from('this value is no image') });
  return images;
}

/** Writes lmdbImages() into `dir`, one file per key (how test/fixtures/lmdb-v1/make.sh makes the fixture). */
export async function writeLmdbImages(dir: string, extension = ''): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (const { key, bytes } of await lmdbImages()) fs.writeFileSync(path.join(dir, `${key}${extension}`), bytes);
}
