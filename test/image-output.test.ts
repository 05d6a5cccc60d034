import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import sharp from 'sharp';

import { denoise, jit, tensor, writeImageGrid, type ImageGridOptions } from '../lib';
import { ROOT, runCliSync } from './helpers/cli-run';
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

/** A grey image file's pixels, one byte each. */
const grey = (file: string) => sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });

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

  it('scales grids to a readable width by default, by nearest neighbour', async () => {
    const sizeOf = async (n: number, opts: ImageGridOptions = {}) => {
      using images = digits(n);
      const file = path.join(tmp, `scaled-${n}-${opts.scale ?? 'default'}.png`);
      await writeImageGrid(images, file, opts);
      return formatOf(file);
    };
    // One 28 px image is 32 px with its padding: 8x; 4 x 4 of them are 122 px: 3x.
    expect(await sizeOf(1)).toMatchObject({ width: 256, height: 256 });
    expect(await sizeOf(16)).toMatchObject({ width: 366, height: 366 });
    expect(await sizeOf(16, { scale: 1 })).toMatchObject({ width: 122, height: 122 });
    // Every source pixel is a 3 x 3 block of one value.
    using images = digits(1);
    const file = path.join(tmp, 'crisp.png');
    await writeImageGrid(images, file, { scale: 3, padding: 0 });
    expect((await sharp(file).metadata()).channels).toBe(1);
    const { data, info } = await grey(file);
    expect(info.width).toBe(84);
    const source = images.toFloat32Array().map((v) => Math.round(v * 127.5 + 127.5));
    for (let y = 0; y < 84; y++) {
      for (let x = 0; x < 84; x++) {
        expect(data[y * 84 + x]).toBe(source[Math.floor(y / 3) * 28 + Math.floor(x / 3)]);
      }
    }
    const zero = await missingURejection(writeImageGrid(images, file, { scale: 0 }));
    expect(zero.message).toBe("an image grid's scale must be an integer >= 1, got 0");
  });

  it('draws row labels to the left of the rows, and refuses a label count that is not the row count', async () => {
    using images = digits(6);
    const plain = path.join(tmp, 'plain.png');
    const labelled = path.join(tmp, 'labelled.png');
    await writeImageGrid(images, plain, { columns: 2, scale: 2 });
    await writeImageGrid(images, labelled, { columns: 2, scale: 2, rowLabels: ['clean', 'noisy', 'denoised'] });
    const a = await grey(plain);
    const b = await grey(labelled);
    expect(a.info.width).toBe(2 * 62);
    expect(b.info.height).toBe(a.info.height);
    const labelWidth = b.info.width - a.info.width;
    expect(labelWidth).toBeGreaterThan(0);
    expect((await sharp(labelled).metadata()).channels).toBe(1);
    // The grid itself is unchanged, to the right of the labels, and the label column is not blank.
    let inked = 0;
    for (let y = 0; y < a.info.height; y++) {
      const row = b.data.subarray(y * b.info.width, (y + 1) * b.info.width);
      expect(Buffer.compare(row.subarray(labelWidth), a.data.subarray(y * a.info.width, (y + 1) * a.info.width))).toBe(
        0,
      );
      inked += row.subarray(0, labelWidth).filter((v) => v > 128).length;
    }
    expect(inked).toBeGreaterThan(0);
    const wrong = await missingURejection(writeImageGrid(images, labelled, { columns: 2, rowLabels: ['clean'] }));
    expect(wrong.message).toBe('an image grid of 6 images in 2 columns has 3 rows, got 1 row labels');
  });

  it('writes labelled grids where no font is installed', () => {
    const fonts = path.join(tmp, 'no-fonts.conf');
    fs.writeFileSync(fonts, '<?xml version="1.0"?>\n<fontconfig></fontconfig>\n');
    const file = path.join(tmp, 'no-fonts.png');
    const script =
      `const m = require(${JSON.stringify(path.join(ROOT, 'dist', 'lib'))});` +
      `m.writeImageGrid(m.tensor(new Float32Array(2 * 64), [2, 1, 8, 8]), ${JSON.stringify(file)}, ` +
      `{ columns: 1, rowLabels: ['clean', 'noisy'] }).then(() => console.log('written'));`;
    const run = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, FONTCONFIG_FILE: fonts, FONTCONFIG_PATH: tmp },
      encoding: 'utf8',
    });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.stdout).toBe('written\n');
    expect(MAGIC.png(fs.readFileSync(file))).toBe(true);
  });

  it('sample --out writes the extension’s format at --scale, and refuses another extension before sampling', async () => {
    const args = ['sample', '--torchscript', TINY, '--shape', '1,8,8', '--n', '4', '--steps', '2'];
    const webp = path.join(tmp, 'samples.webp');
    const run = runCliSync([...args, '--scale', '2', '--out', webp]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`wrote 4 images to ${webp}\n`);
    expect(await formatOf(webp)).toMatchObject({ format: 'webp', width: 2 * 22, height: 2 * 22 });
    const gif = path.join(tmp, 'samples.gif');
    const refused = runCliSync([...args, '--out', gif]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(
      `missing-u: --out: cannot write an image as '.gif' (${gif}): give a file ending in .png, .jpg, .jpeg or .webp\n`,
    );
    expect(fs.existsSync(gif)).toBe(false);
    const huge = runCliSync([...args, '--scale', '1000', '--out', webp]);
    expect(huge.status).toBe(1);
    expect(huge.stderr).toContain('an image grid of 4 images of 1x8x8 at scale 1000 would be 22000 x 22000 pixels');
    expect(huge.stderr).toContain('lower --n or --shape or --scale');
  });

  it('denoise writes clean, noisy and denoised rows, labelled, shows its progress and checks --out first', async () => {
    const checkpoint = path.join(tmp, 'checkpoint');
    saveTiny(checkpoint);
    const args = ['denoise', '--checkpoint', checkpoint, '--noise-step', '4', '--n', '2', '--sampler', 'ddpm'];
    const jpg = path.join(tmp, 'denoised.jpg');
    const run = runCliSync([...args, '--scale', '1', '--out', jpg]);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^denoise 5\/5 .* it\/s, ETA 0 s$/m);
    const { format, width, height } = await formatOf(jpg);
    expect(format).toBe('jpeg');
    expect(height).toBe(3 * 30 + 2);
    expect(width).toBeGreaterThan(2 * 30 + 2); // the grid and the label column
    const bmp = path.join(tmp, 'denoised.bmp');
    const refused = runCliSync([...args, '--out', bmp]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`--out: cannot write an image as '.bmp' (${bmp})`);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).not.toContain('denoise 1/');
  });

  it('the library’s denoise reports every step, and takes an AbortSignal', async () => {
    using denoiser = jit.load(TINY);
    using image = tensor(new Float32Array(64), [1, 1, 8, 8]);
    const seen: Array<{ step: number; total: number }> = [];
    const trace = await denoise(denoiser, image, { noiseStep: 5, sampler: 'ddpm', onProgress: (p) => seen.push(p) });
    trace.noisy.dispose();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6].map((step) => ({ step, total: 6, nfe: step })));
    const controller = new AbortController();
    controller.abort();
    const aborted = await missingURejection(denoise(denoiser, image, { noiseStep: 5, signal: controller.signal }));
    expect(aborted.code).toBe('aborted');
  });
});
