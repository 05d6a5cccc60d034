import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import sharp from 'sharp';

import { tensor, writeImageGrid } from '../lib';
import { runCliSync } from './helpers/cli-run';
import { saveTiny } from './helpers/checkpoint';
import { missingURejection } from './helpers/errors';

const TINY = path.join(__dirname, 'fixtures', 'tiny_denoiser.pt');
const MAGIC: Record<string, (bytes: Buffer) => boolean> = {
  png: (b) => b.subarray(1, 4).toString() === 'PNG',
  jpeg: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  webp: (b) => b.subarray(0, 4).toString() === 'RIFF' && b.subarray(8, 12).toString() === 'WEBP',
};

/** (n, 1, size, size) images whose pixel values vary, in [-1, 1]. */
function digits(n: number, size = 28) {
  return tensor(
    new Float32Array(n * size * size).map((_, i) => Math.sin(i / 7)),
    [n, 1, size, size],
  );
}

async function formatOf(file: string) {
  const bytes = fs.readFileSync(file);
  const { format, width, height } = await sharp(bytes).metadata();
  expect(MAGIC[format as string]?.(bytes)).toBe(true);
  return { format, width, height };
}

describe('image files', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-images-'))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writeImageGrid encodes the format of the extension: PNG, JPEG or WebP', async () => {
    using images = digits(4);
    for (const [name, format] of [
      ['a.png', 'png'],
      ['a.jpg', 'jpeg'],
      ['a.jpeg', 'jpeg'],
      ['a.webp', 'webp'],
      ['A.PNG', 'png'],
    ]) {
      await writeImageGrid(images, path.join(tmp, name));
      expect((await formatOf(path.join(tmp, name))).format).toBe(format);
    }
  });

  it('refuses any other extension before anything is read or written, naming it and the accepted ones', async () => {
    const dir = path.join(tmp, 'refused');
    using images = digits(1);
    using notImages = tensor(new Float32Array(4), [4]);
    for (const [name, named] of [
      ['grid.gif', "cannot write an image as '.gif'"],
      ['grid', 'which has no extension'],
    ]) {
      // Not images at all: the extension is what is refused, first.
      for (const input of [images, notImages]) {
        const err = await missingURejection(writeImageGrid(input, path.join(dir, name)));
        expect(err.code).toBe('option');
        expect(err.message).toContain(named);
        expect(err.message).toContain('give a file ending in .png, .jpg, .jpeg or .webp');
      }
    }
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('sample --out writes the extension’s format, and refuses another extension before sampling', async () => {
    const args = ['sample', '--torchscript', TINY, '--shape', '1,8,8', '--n', '4', '--steps', '2'];
    const webp = path.join(tmp, 'samples.webp');
    const run = runCliSync([...args, '--out', webp]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`wrote 4 images to ${webp}\n`);
    expect(await formatOf(webp)).toMatchObject({ format: 'webp', width: 22, height: 22 });
    const gif = path.join(tmp, 'samples.gif');
    const refused = runCliSync([...args, '--out', gif]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(
      `missing-u: --out: cannot write an image as '.gif' (${gif}): give a file ending in .png, .jpg, .jpeg or .webp\n`,
    );
    expect(fs.existsSync(gif)).toBe(false);
  });

  it('denoise --out writes the extension’s format, and refuses another extension before denoising', async () => {
    const checkpoint = path.join(tmp, 'checkpoint');
    saveTiny(checkpoint);
    const args = ['denoise', '--checkpoint', checkpoint, '--noise-step', '4', '--n', '2', '--sampler', 'ddpm'];
    const jpg = path.join(tmp, 'denoised.jpg');
    const run = runCliSync([...args, '--out', jpg]);
    expect(run.status).toBe(0);
    expect(await formatOf(jpg)).toMatchObject({ format: 'jpeg', width: 2 * 30 + 2, height: 3 * 30 + 2 });
    const bmp = path.join(tmp, 'denoised.bmp');
    const refused = runCliSync([...args, '--out', bmp]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`--out: cannot write an image as '.bmp' (${bmp})`);
    expect(refused.stdout).toBe('');
  });
});
