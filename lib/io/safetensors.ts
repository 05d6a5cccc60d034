import { MissingUError } from '../errors';
import { writeFileAtomic } from './atomic';
import { type OpenFile, READ_LIMITS, readBoundedAsync, withRegularFile } from './bounded-read';
import { parseSafetensorsHeader } from './safetensors-header';

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
 * Reads a safetensors file of float32 tensors through the bounded reader, validating it as the format
 * specifies; a truncated, foreign or malformed file is a MissingUError naming it and saying what is wrong.
 * With `{ float64: true }`, F64 tensors are read too (as Float64Arrays).
 */
export function readSafetensors(file: string): {
  tensors: Record<string, StoredTensor>;
  metadata: Record<string, string>;
};
export function readSafetensors(
  file: string,
  opts: { float64: true },
): {
  tensors: Record<string, StoredTensor<Float32Array | Float64Array>>;
  metadata: Record<string, string>;
};
export function readSafetensors(
  file: string,
  opts: { float64?: boolean } = {},
): {
  tensors: Record<string, StoredTensor<Float32Array | Float64Array>>;
  metadata: Record<string, string>;
} {
  return withRegularFile(file, 'safetensors file', (open) => parseOpenFile(open, opts.float64 ?? false));
}

type ReadTensors = {
  tensors: Record<string, StoredTensor<Float32Array | Float64Array>>;
  metadata: Record<string, string>;
};

function parseOpenFile(open: OpenFile, float64: boolean): ReadTensors {
  const file = open.path;
  const opts = { float64 };
  const fail = (why: string) =>
    new MissingUError(`${file} is not a readable safetensors file: ${why}`, { code: 'format' });
  if (open.size < 8) throw fail(`it is ${open.size} bytes long (truncated?)`);
  const claimed = open.read(0, 8).readBigUInt64LE(0);
  if (claimed > BigInt(READ_LIMITS.safetensorsHeader)) {
    throw fail(`its header claims ${claimed} bytes, more than the ${READ_LIMITS.safetensorsHeader} the format allows`);
  }
  const headerLength = Number(claimed);
  if (headerLength < 2 || 8 + headerLength > open.size) {
    throw fail(
      `its header claims ${headerLength} bytes but the file has ${open.size - 8} (truncated or not safetensors)`,
    );
  }
  const dataStart = 8 + headerLength;
  const header = parseSafetensorsHeader(open.read(8, headerLength), open.size - dataStart, fail);
  for (const { name, dtype } of header.tensors) {
    if (dtype !== 'F32' && !(dtype === 'F64' && opts.float64)) {
      throw fail(`tensor '${name}' is ${dtype}; missing-u reads ${opts.float64 ? 'F32 and F64' : 'F32'}`);
    }
  }
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

/** readSafetensors (float32 tensors) with the file read off the event loop. */
export async function readSafetensorsAsync(file: string): Promise<{
  tensors: Record<string, StoredTensor>;
  metadata: Record<string, string>;
}> {
  const bytes = await readBoundedAsync(file, 'safetensors file', Number.MAX_SAFE_INTEGER);
  return parseOpenFile(bufferFile(file, bytes), false) as {
    tensors: Record<string, StoredTensor>;
    metadata: Record<string, string>;
  };
}
