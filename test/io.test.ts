import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import sharp from 'sharp';

import { parseTrainConfig, loadTrainConfig } from '../lib/config/train-config';
import { loadImageFolder } from '../lib/data/image-folder';
import { loadDataset } from '../lib/data/load';
import { loadMnistIdx } from '../lib/data/mnist-idx';
import { MissingUError } from '../lib/errors';
import { missingUError } from './helpers/errors';
import {
  isAtomicTempFile,
  parseAtomicTempName,
  removeStaleAtomicTemps,
  writeFileAtomic,
  writeFileAtomicAsync,
} from '../lib/io/atomic';
import { readBounded, readBoundedAsync, refuseIfNotRegular } from '../lib/io/bounded-read';
import { readJsonFile } from '../lib/io/json-file';
import { readSafetensors, writeSafetensors } from '../lib/io/safetensors';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-io-'))));
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function missingUErrorAsync(run: () => Promise<unknown>): Promise<MissingUError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(MissingUError);
    return err as MissingUError;
  }
  throw new Error('expected a MissingUError, nothing was thrown');
}

function fifo(name: string): string {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  return file;
}

function zeroLink(name: string): string {
  const file = path.join(dir, name);
  fs.symlinkSync('/dev/zero', file);
  return file;
}

describe('the bounded reader', () => {
  it('refuses a missing path, a folder, a FIFO and a device, naming the path and what it is', async () => {
    const cases: Array<[string, string]> = [
      [path.join(dir, 'nope.json'), 'does not exist'],
      [dir, 'is a folder, not a regular file'],
      [fifo('config.json'), 'is a FIFO (named pipe), not a regular file'],
      [zeroLink('state.json'), 'is a character device, not a regular file'],
    ];
    for (const [file, says] of cases) {
      expect(missingUError(() => readBounded(file, 'state file', 1024)).message).toBe(
        `state file ${file} ${says}${says === 'does not exist' ? '' : ': give the path of a file'}`,
      );
      expect((await missingUErrorAsync(() => readBoundedAsync(file, 'state file', 1024))).message).toContain(
        `state file ${file} ${says}`,
      );
    }
    expect(() => refuseIfNotRegular(path.join(dir, 'nope.pt'), 'TorchScript file')).not.toThrow();
    expect(missingUError(() => refuseIfNotRegular(dir, 'TorchScript file')).message).toContain(
      `TorchScript file ${dir} is a folder`,
    );
  });

  it('bounds the size by kind and reads what fits', async () => {
    const file = path.join(dir, 'a.json');
    fs.writeFileSync(file, '{"a": 1}');
    expect(readBounded(file, 'x', 8).toString()).toBe('{"a": 1}');
    expect((await readBoundedAsync(file, 'x', 8)).toString()).toBe('{"a": 1}');
    expect(missingUError(() => readBounded(file, 'x', 7)).message).toContain(`x ${file} is 8 bytes, more than the 7`);
    await expect(readBoundedAsync(file, 'x', 7)).rejects.toThrow(`x ${file} is 8 bytes, more than the 7`);
  });
});

describe('JSON files and configs', () => {
  it('refuse a FIFO, /dev/zero and an oversize file without reading them', () => {
    for (const file of [fifo('config.json'), zeroLink('zero.json')]) {
      expect(missingUError(() => loadTrainConfig(file)).message).toMatch(`config file ${file} is a `);
    }
    const big = path.join(dir, 'big.json');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 17 * 1024 * 1024); // sparse: nothing is written
    expect(missingUError(() => loadTrainConfig(big)).message).toContain(`config file ${big} is 17825792 bytes, more`);
    expect(missingUError(() => loadTrainConfig(path.join(dir, 'nope.json'))).message).toBe(
      `config file ${path.join(dir, 'nope.json')} does not exist`,
    );
  });

  it('refuse a key given twice', () => {
    const file = path.join(dir, 'c.json');
    const refusal = (text: string | Buffer) => {
      fs.writeFileSync(file, text);
      return missingUError(() => readJsonFile(file, 'config file', { hint: 'corrupt?' })).message;
    };
    expect(refusal('{"train": {"lr": 1, "lr": 2}}')).toBe(
      `config file ${file} is not valid JSON (corrupt?): the key 'lr' appears twice in 'train'`,
    );
    expect(refusal('{"a": 1, "b": {}, "a": 2}')).toBe(
      `config file ${file} is not valid JSON (corrupt?): the key 'a' appears twice`,
    );
  });

  it('accept the same key in different objects, and refuse deep nesting, bytes that are not UTF-8 and bad JSON', () => {
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, '{"a": "{\\"b\\": 1, \\"b\\": 2}", "b": [{"c": 1}, {"c": 2}], "d": {"a": {"a": 1}}}');
    expect(readJsonFile(file, 'x')).toEqual({ a: '{"b": 1, "b": 2}', b: [{ c: 1 }, { c: 2 }], d: { a: { a: 1 } } });
    fs.writeFileSync(file, `${'['.repeat(100)}${']'.repeat(100)}`);
    expect(missingUError(() => readJsonFile(file, 'x')).message).toBe(
      `x ${file} is not valid JSON: it nests deeper than 64 levels`,
    );
    fs.writeFileSync(file, Buffer.from([0x7b, 0xff, 0x7d]));
    expect(missingUError(() => readJsonFile(file, 'x')).message).toBe(
      `x ${file} is not valid JSON: it is not UTF-8 text`,
    );
    fs.writeFileSync(file, '{"a": ');
    expect(missingUError(() => loadTrainConfig(file)).message).toContain(`config file ${file} is not valid JSON: `);
  });
});

describe('MNIST IDX files', () => {
  function header(count: number, rows: number, cols: number): Buffer {
    const out = Buffer.alloc(16);
    [0x803, count, rows, cols].forEach((v, i) => out.writeUInt32BE(v, 4 * i));
    return out;
  }

  /** A gzip that inflates to `head` then `megabytes` MiB of zeros, made of ~1 KiB members: cheap to build. */
  function bomb(head: Buffer, megabytes: number): Buffer {
    const zeros = zlib.gzipSync(Buffer.alloc(1 << 20), { level: 9 });
    return Buffer.concat([zlib.gzipSync(head), ...Array.from({ length: megabytes }, () => zeros)]);
  }

  it('refuse a gzip bomb with little memory, by its declared dimensions', () => {
    const file = path.join(dir, 'train-images.gz');
    const before = process.memoryUsage().rss;
    fs.writeFileSync(file, bomb(header(10, 28, 28), 1500)); // ~1.5 MB that inflates to 1.5 GB
    expect(missingUError(() => loadMnistIdx(file)).message).toBe(
      `IDX image file ${file} inflates to more than the ${16 + 10 * 28 * 28} bytes its header declares`,
    );
    fs.writeFileSync(file, bomb(Buffer.alloc(0), 1500)); // all zeros: no IDX magic
    expect(missingUError(() => loadMnistIdx(file)).message).toBe(
      `${file} is not an IDX image file (magic 0x00000803 expected)`,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(300 * 1024 * 1024);
  });

  it('refuse dimensions beyond the bound, truncation and trailing bytes, raw or gzipped', () => {
    const file = path.join(dir, 'img');
    fs.writeFileSync(file, header(0xffffffff, 255, 255));
    expect(missingUError(() => loadMnistIdx(file)).message).toContain(
      `IDX image file ${file} declares 4294967295x255x255`,
    );
    fs.writeFileSync(file, Buffer.concat([header(2, 2, 2), Buffer.alloc(7)]));
    expect(missingUError(() => loadMnistIdx(file)).message).toMatch(/truncated$/);
    fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([header(2, 2, 2), Buffer.alloc(7)])));
    expect(missingUError(() => loadMnistIdx(file)).message).toMatch(/truncated$/);
    fs.writeFileSync(file, Buffer.concat([header(2, 2, 2), Buffer.alloc(9)]));
    expect(missingUError(() => loadMnistIdx(file)).message).toBe(
      `IDX image file ${file} has 1 bytes after the data its header declares`,
    );
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(30, 7)]));
    expect(missingUError(() => loadMnistIdx(file)).message).toBe(
      `IDX image file ${file} is not a valid gzip file (corrupt or truncated)`,
    );
    fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([header(2, 2, 2), Buffer.alloc(8, 255)])));
    expect(loadMnistIdx(file).shape).toEqual([2, 1, 2, 2]);
  });

  it('refuse a device, a FIFO or a folder named by a config, as `denoise` reads it', async () => {
    for (const images of ['/dev/zero', fifo('images'), dir]) {
      const config = parseTrainConfig({
        model: { preset: 'cunet-mnist' },
        data: { source: 'mnist-idx', images },
        train: { steps: 1, batchSize: 1 },
      });
      const error = await missingUErrorAsync(() => loadDataset(config.data));
      expect(error.message).toMatch(new RegExp(`^IDX image file ${images} is a .*, not a regular file`));
    }
  });
});

describe('image folders', () => {
  it('skip or refuse a FIFO or device named like an image instead of hanging', async () => {
    await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 0, g: 0, b: 0 } } }).toFile(
      path.join(dir, 'a.png'),
    );
    const pipe = fifo('x.png');
    zeroLink('z.png');
    const writes: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    expect((await loadImageFolder(dir, { imageSize: 4 })).shape).toEqual([1, 3, 4, 4]);
    expect(writes.join('')).toContain(`image ${pipe} is a FIFO (named pipe), not a regular file`);
    expect(writes.join('')).toContain(`image ${path.join(dir, 'z.png')} is a character device`);
    const error = await missingUErrorAsync(() => loadImageFolder(dir, { imageSize: 4, onCorrupt: 'fail' }));
    expect(error.message).toContain(`image ${pipe} is a FIFO`);
  });
});

describe('safetensors files', () => {
  /** A file with `header` (an object, or JSON text as is) and `data` after it. */
  function write(header: unknown, data: Buffer = Buffer.alloc(0)): string {
    const file = path.join(dir, 'w.safetensors');
    const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    fs.writeFileSync(file, Buffer.concat([length, json, data]));
    return file;
  }
  const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
  const refusal = (header: unknown, data?: Buffer) => {
    const file = write(header, data);
    const { message } = missingUError(() => readSafetensors(file));
    expect(message.startsWith(`${file} is not a readable safetensors file: `)).toBe(true);
    return message.slice(`${file} is not a readable safetensors file: `.length);
  };

  it('refuse every broken rule of the format with a message naming the file', () => {
    const d16 = Buffer.alloc(16);
    expect(refusal({ a: f32([2], -4, 4) }, d16)).toBe(
      "tensor 'a' has data_offsets that are not two non-negative integers",
    );
    expect(refusal({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, Buffer.alloc(12))).toBe(
      "tensor 'b' starts at byte 4, inside the data of tensor 'a'",
    );
    expect(refusal({ a: f32([2], 0, 8), b: f32([2], 12, 20) }, Buffer.alloc(20))).toBe(
      "tensor 'b' starts at byte 12, leaving a gap after byte 8 of the data section",
    );
    expect(refusal({ a: f32([2], 8, 0) }, d16)).toBe("tensor 'a' has data_offsets [8, 0] that end before they begin");
    expect(refusal({ a: f32([2], 4, 12) }, Buffer.alloc(12))).toBe(
      "tensor 'a' starts at byte 4, leaving a gap after byte 0 of the data section",
    );
    expect(refusal({ a: f32([2], 0, 8) }, Buffer.alloc(12))).toBe(
      'its data section has 12 bytes but its tensors cover only 8 (trailing bytes)',
    );
    expect(refusal({ a: f32([4], 0, 16) }, Buffer.alloc(12))).toBe(
      "tensor 'a' lies outside the file (its data ends at byte 16 of a 12-byte data section; truncated?)",
    );
    expect(refusal(`{"a": ${JSON.stringify(f32([1], 0, 4))}, "a": ${JSON.stringify(f32([1], 0, 4))}}`, d16)).toBe(
      "its header is malformed: the key 'a' appears twice",
    );
    expect(refusal(`{"a": {"dtype": "F32", "dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`)).toBe(
      "its header is malformed: the key 'dtype' appears twice in 'a'",
    );
    expect(refusal('null')).toBe('its header is not a JSON object');
    expect(refusal('[1, 2]')).toBe('its header is not a JSON object');
    expect(refusal('{"a": ')).toBe('its header is not JSON');
    expect(refusal({ a: null })).toBe("tensor 'a' is not an object with dtype, shape and data_offsets");
    expect(refusal({ a: f32([3], 0, 8) }, Buffer.alloc(8))).toBe(
      "tensor 'a' is F32 [3] (12 bytes) but its data_offsets span 8 bytes",
    );
    expect(refusal({ a: { ...f32([2], 0, 8), dtype: 'F33' } }, Buffer.alloc(8))).toBe(
      'tensor \'a\' has dtype "F33", which the safetensors format does not define',
    );
    for (const shape of [[-1], [1.5], ['2'], null, 2]) {
      expect(refusal({ a: { ...f32([], 0, 4), shape } }, Buffer.alloc(4))).toBe(
        "tensor 'a' has a shape that is not a list of sizes",
      );
    }
    expect(refusal({ a: f32([2 ** 40, 2 ** 40], 0, 4) }, Buffer.alloc(4))).toBe(
      "tensor 'a' has a shape of more elements than any file holds",
    );
    expect(refusal({ a: { ...f32([1], 0, 4), data_offsets: [0, 4, 8] } }, Buffer.alloc(4))).toContain(
      'are not two non-negative integers',
    );
    expect(refusal({ __metadata__: { k: 1 } })).toBe('its __metadata__ is not a map of strings to strings');
    expect(refusal({ __metadata__: ['k'] })).toBe('its __metadata__ is not a map of strings to strings');
    expect(refusal({ a: { ...f32([1], 0, 2), dtype: 'BF16' } }, Buffer.alloc(2))).toBe(
      "tensor 'a' is BF16; missing-u reads F32",
    );
  });

  it('refuse header lengths beyond the bound or the file', () => {
    const file = path.join(dir, 'h.safetensors');
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64LE(100_000_001n);
    fs.writeFileSync(file, bytes);
    expect(missingUError(() => readSafetensors(file)).message).toContain('more than the 100000000 the format allows');
    bytes.writeBigUInt64LE(9n);
    fs.writeFileSync(file, bytes);
    expect(missingUError(() => readSafetensors(file)).message).toContain(
      'its header claims 9 bytes but the file has 8',
    );
    fs.writeFileSync(file, Buffer.alloc(5));
    expect(missingUError(() => readSafetensors(file)).message).toContain('it is 5 bytes long');
    expect(missingUError(() => readSafetensors(zeroLink('z.safetensors'))).message).toContain(
      'is a character device, not a regular file',
    );
  });

  it('read valid files as the reference library does: offsets in any key order, empty tensors, F64 on request', () => {
    const data = Buffer.alloc(20);
    new Float32Array(data.buffer, data.byteOffset, 5).set([1, 2, 3, 4, 5]);
    const file = write({ __metadata__: { k: 'v' }, b: f32([3], 8, 20), a: f32([2], 0, 8), e: f32([0, 5], 8, 8) }, data);
    const { tensors, metadata } = readSafetensors(file);
    expect(metadata).toEqual({ k: 'v' });
    expect(Array.from(tensors.a.data)).toEqual([1, 2]);
    expect(Array.from(tensors.b.data)).toEqual([3, 4, 5]);
    expect(tensors.e.shape).toEqual([0, 5]);
    expect(readSafetensors(write({ __metadata__: null })).metadata).toEqual({});
    const wide = path.join(dir, 'wide.safetensors');
    writeSafetensors(wide, Object.fromEntries([['__proto__', { shape: [1], data: new Float64Array([0.1]) }]]));
    expect(missingUError(() => readSafetensors(wide)).message).toContain(
      "tensor '__proto__' is F64; missing-u reads F32",
    );
    expect(Object.keys(readSafetensors(wide, { float64: true }).tensors)).toEqual(['__proto__']);
    expect(
      missingUError(() => writeSafetensors(wide, { a: { shape: [2], data: new Float32Array(3) } })).message,
    ).toContain(`cannot write ${wide}: tensor 'a' has shape [2] but 3 values`);
  });
});

describe('atomic writes', () => {
  const entries = () => fs.readdirSync(dir).sort();

  it('write the new content and leave no temp file', async () => {
    const file = path.join(dir, 'a.json');
    writeFileAtomic(file, 'one');
    await writeFileAtomicAsync(file, 'two');
    expect(fs.readFileSync(file, 'utf8')).toBe('two');
    expect(entries()).toEqual(['a.json']);
  });

  it('remove the temp file and name the path when the write fails', async () => {
    const target = path.join(dir, 'model.safetensors');
    fs.mkdirSync(target);
    expect(missingUError(() => writeFileAtomic(target, 'x')).message).toMatch(`could not write ${target}: `);
    expect((await missingUErrorAsync(() => writeFileAtomicAsync(target, 'x'))).message).toMatch(
      `could not write ${target}: `,
    );
    expect(entries()).toEqual(['model.safetensors']);
    const nowhere = path.join(dir, 'missing', 'a.json');
    expect(missingUError(() => writeFileAtomic(nowhere, 'x')).message).toMatch(`could not write ${nowhere}: `);
  });

  it('say ENOSPC and EROFS in words, with the path and the fix', async () => {
    const file = path.join(dir, 'model.safetensors');
    const fail = (code: string) => () => {
      throw Object.assign(new Error('injected'), { code });
    };
    jest.spyOn(fs, 'fsyncSync').mockImplementation(fail('ENOSPC'));
    expect(missingUError(() => writeFileAtomic(file, 'x')).message).toBe(
      `could not write ${file}: no space left on device (ENOSPC); free some space and try again`,
    );
    jest.spyOn(fs.promises, 'rename').mockImplementation(fail('EROFS'));
    expect((await missingUErrorAsync(() => writeFileAtomicAsync(file, 'x'))).message).toBe(
      `could not write ${file}: read-only file system (EROFS); choose a writable location`,
    );
    expect(entries()).toEqual([]);
  });

  (process.getuid?.() === 0 ? it.skip : it)('say EACCES in a folder it may not write', () => {
    fs.chmodSync(dir, 0o500);
    try {
      expect(missingUError(() => writeFileAtomic(path.join(dir, 'a'), 'x')).message).toContain('(EACCES)');
    } finally {
      fs.chmodSync(dir, 0o700);
    }
  });

  it('recognise their temp files and remove those of processes that are gone', () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid ?? 1 << 30;
    const stale = `.model.safetensors.${gone}.1700000000000.tmp`;
    const mine = `.model.safetensors.${process.pid}.1700000000000.tmp`;
    for (const name of [stale, mine, 'notes.tmp', '.x.tmp']) fs.writeFileSync(path.join(dir, name), '');
    expect(parseAtomicTempName(stale)).toEqual({ target: 'model.safetensors', pid: gone, time: 1700000000000 });
    expect(isAtomicTempFile(mine, 'model.safetensors')).toBe(true);
    expect(isAtomicTempFile(mine, 'ema.safetensors')).toBe(false);
    expect(isAtomicTempFile('.x.tmp')).toBe(false);
    expect(removeStaleAtomicTemps(dir)).toEqual([path.join(dir, stale)]);
    expect(entries()).toEqual(
      ['.model.safetensors.' + process.pid + '.1700000000000.tmp', '.x.tmp', 'notes.tmp'].sort(),
    );
  });
});
