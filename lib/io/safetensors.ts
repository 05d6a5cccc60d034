import fs from 'node:fs';

import { MissingUError } from '../errors';
import { writeFileAtomic } from './atomic';
import { type OpenFile, READ_LIMITS, readBoundedAsync, statRegularFile, withRegularFile } from './bounded-read';
import { describeIoError } from './io-error';
import { parseSafetensorsHeader, type SafetensorsHeader } from './safetensors-header';

/** A tensor as stored in a safetensors file (row-major): float32 ('F32') unless it holds a Float64Array ('F64'). */
export interface StoredTensor<Data extends Float32Array | Float64Array = Float32Array> {
  shape: number[];
  data: Data;
}

interface HeaderEntry {
  dtype: 'F32' | 'F64';
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Writes tensors in the safetensors format (8-byte little-endian header length, JSON header,
 * then the raw data), readable by Python's `safetensors` library. Atomic.
 */
export function writeSafetensors(
  file: string,
  tensors: Record<string, StoredTensor<Float32Array | Float64Array>>,
  metadata: Record<string, string> = {},
): void {
  // No prototype: a tensor may be called '__proto__'.
  const header = Object.create(null) as Record<string, HeaderEntry | Record<string, string>>;
  header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const { shape, data } = tensors[name];
    if (name === '__metadata__') throw new MissingUError(`cannot write ${file}: '__metadata__' is not a tensor name`);
    if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
      throw new MissingUError(
        `cannot write ${file}: tensor '${name}' has shape ${JSON.stringify(shape)}; sizes are whole numbers >= 0`,
        { code: 'shape' },
      );
    }
    if (shape.reduce((a, b) => a * b, 1) !== data.length) {
      throw new MissingUError(`cannot write ${file}: tensor '${name}' has shape [${shape}] but ${data.length} values`);
    }
    const bytes = data.byteLength;
    const dtype = data.BYTES_PER_ELEMENT === 8 ? 'F64' : 'F32'; // not instanceof: arrays may come from another realm
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // data starts 8-byte aligned
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors[name];
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, at);
    at += data.byteLength;
  }
  writeFileAtomic(file, out);
}

/**
 * Sees a file's validated header before any tensor data is read, and throws to refuse the file (tensor
 * names or shapes that do not fit): a file refused so costs its header, however large its data.
 */
export type HeaderCheck = (header: SafetensorsHeader) => void;

type ReadTensors<Data extends Float32Array | Float64Array> = {
  tensors: Record<string, StoredTensor<Data>>;
  metadata: Record<string, string>;
};

/**
 * Reads a safetensors file of float32 tensors through the bounded reader, validating it as the format
 * specifies; a truncated, foreign or malformed file is a MissingUError naming it and saying what is wrong.
 * With `{ float64: true }`, F64 tensors are read too (as Float64Arrays).
 */
export function readSafetensors(
  file: string,
  opts?: { float64?: false; check?: HeaderCheck },
): ReadTensors<Float32Array>;
export function readSafetensors(
  file: string,
  opts: { float64: true; check?: HeaderCheck },
): ReadTensors<Float32Array | Float64Array>;
export function readSafetensors(
  file: string,
  opts: { float64?: boolean; check?: HeaderCheck } = {},
): ReadTensors<Float32Array | Float64Array> {
  return withRegularFile(file, WHAT, (open) => parseOpenFile(open, opts.float64 ?? false, opts.check));
}

const WHAT = 'safetensors file';

const failFor = (file: string) => (why: string) =>
  new MissingUError(`${file} is not a readable safetensors file: ${why}`, { code: 'format' });

/** The header's length from the file's first 8 bytes (`prefix`), checked against the file's `size`. */
function headerLengthOf(size: number, prefix: Buffer | undefined, fail: (why: string) => MissingUError): number {
  if (!prefix || size < 8) throw fail(`it is ${size} bytes long (truncated?)`);
  const claimed = prefix.readBigUInt64LE(0);
  if (claimed > BigInt(READ_LIMITS.safetensorsHeader)) {
    throw fail(`its header claims ${claimed} bytes, more than the ${READ_LIMITS.safetensorsHeader} the format allows`);
  }
  const headerLength = Number(claimed);
  if (headerLength < 2 || 8 + headerLength > size) {
    throw fail(`its header claims ${headerLength} bytes but the file has ${size - 8} (truncated or not safetensors)`);
  }
  return headerLength;
}

/**
 * The header of a file of `size` bytes, validated, every tensor of a dtype missing-u reads, and checked;
 * with where the data starts.
 */
function validHeader(
  file: string,
  size: number,
  read: (position: number, length: number) => Buffer,
  float64: boolean,
  check: HeaderCheck | undefined,
): SafetensorsHeader & { dataStart: number } {
  const fail = failFor(file);
  const headerLength = headerLengthOf(size, size >= 8 ? read(0, 8) : undefined, fail);
  const header = parseSafetensorsHeader(read(8, headerLength), size - 8 - headerLength, fail);
  for (const { name, dtype } of header.tensors) {
    if (dtype !== 'F32' && !(dtype === 'F64' && float64)) {
      throw fail(`tensor '${name}' is ${dtype}; missing-u reads ${float64 ? 'F32 and F64' : 'F32'}`);
    }
  }
  check?.(header);
  return { ...header, dataStart: 8 + headerLength };
}

function parseOpenFile(
  open: OpenFile,
  float64: boolean,
  check: HeaderCheck | undefined,
): ReadTensors<Float32Array | Float64Array> {
  const header = validHeader(open.path, open.size, (at, length) => open.read(at, length), float64, check);
  const { dataStart } = header;
  const tensors: Record<string, StoredTensor<Float32Array | Float64Array>> = {};
  for (const { name, dtype, shape, begin, end } of header.tensors) {
    const data = dtype === 'F64' ? new Float64Array((end - begin) / 8) : new Float32Array((end - begin) / 4);
    open.readInto(data, dataStart + begin);
    // defineProperty: a tensor may be called '__proto__'
    Object.defineProperty(tensors, name, {
      value: { shape, data },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { tensors, metadata: header.metadata };
}

/** An OpenFile over bytes already read. */
function bufferFile(file: string, bytes: Buffer): OpenFile {
  const read = (position: number, length: number) => {
    if (position + length > bytes.length) {
      throw new MissingUError(`${file} ended early (truncated?)`, { code: 'format' });
    }
    return bytes.subarray(position, position + length);
  };
  return {
    path: file,
    size: bytes.length,
    read,
    readInto: (target, position) =>
      new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(read(position, target.byteLength)),
  };
}

/** Reads and checks only the header of `file`, off the event loop; returns the file's size. */
async function checkHeaderAsync(file: string, check: HeaderCheck): Promise<number> {
  statRegularFile(file, WHAT);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new MissingUError(describeIoError(err, `could not read ${WHAT}`, file), { code: 'file' });
  }
  try {
    const { size } = await handle.stat();
    // The header is read whole before it is parsed: collect it first, then validate synchronously.
    const prefix = Buffer.alloc(Math.min(size, 8));
    await handle.read(prefix, 0, prefix.length, 0);
    const headerLength = size >= 8 ? Number(prefix.readBigUInt64LE(0)) : 0;
    const headerBytes = Buffer.alloc(
      headerLength <= READ_LIMITS.safetensorsHeader && 8 + headerLength <= size ? headerLength : 0,
    );
    for (let done = 0; done < headerBytes.length;) {
      const { bytesRead } = await handle.read(headerBytes, done, headerBytes.length - done, 8 + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    const read = (position: number, length: number) =>
      position === 0 ? prefix : bufferFile(file, headerBytes).read(position - 8, length);
    validHeader(file, size, read, false, check);
    return size;
  } finally {
    await handle.close();
  }
}

/**
 * readSafetensors (float32 tensors) with the file read off the event loop. With `check`, the header is
 * read and checked first, and the data only when the check passes.
 */
export async function readSafetensorsAsync(
  file: string,
  opts: { check?: HeaderCheck } = {},
): Promise<ReadTensors<Float32Array>> {
  const size = opts.check ? await checkHeaderAsync(file, opts.check) : Number.MAX_SAFE_INTEGER;
  const bytes = await readBoundedAsync(file, WHAT, size);
  return parseOpenFile(bufferFile(file, bytes), false, opts.check) as ReadTensors<Float32Array>;
}
