import fs from 'node:fs';

import { MissingUError } from '../errors';
import { writeFileAtomic } from './atomic';

/** A tensor as stored in a safetensors file (row-major): float32 ('F32') unless it holds a Float64Array ('F64'). */
export interface StoredTensor<Data extends Float32Array | Float64Array = Float32Array> {
  shape: number[];
  data: Data;
}

interface HeaderEntry {
  dtype: string;
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
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const bytes = tensors[name].data.byteLength;
    const dtype = tensors[name].data.BYTES_PER_ELEMENT === 8 ? 'F64' : 'F32'; // not instanceof: arrays may come from another realm
    header[name] = { dtype, shape: tensors[name].shape, data_offsets: [offset, offset + bytes] };
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
 * Reads a safetensors file of float32 tensors; a truncated or foreign file is a MissingUError saying which.
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
  if (!fs.existsSync(file)) throw new MissingUError(`${file} does not exist`);
  const buffer = fs.readFileSync(file);
  const fail = (why: string) => new MissingUError(`${file} is not a readable safetensors file: ${why}`);
  if (buffer.length < 8) throw fail(`it is ${buffer.length} bytes long (truncated?)`);
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (headerLength <= 1 || 8 + headerLength > buffer.length) {
    throw fail(
      `its header claims ${headerLength} bytes but the file has ${buffer.length - 8} (truncated or not safetensors)`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8'));
  } catch {
    throw fail('its header is not JSON');
  }
  const dataStart = 8 + headerLength;
  const tensors: Record<string, StoredTensor<Float32Array | Float64Array>> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = value as HeaderEntry;
    const wide = entry.dtype === 'F64' && opts.float64 === true;
    if (entry.dtype !== 'F32' && !wide) {
      throw fail(`tensor '${name}' is ${entry.dtype}; missing-u reads ${opts.float64 ? 'F32 and F64' : 'F32'}`);
    }
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * (wide ? 8 : 4) || dataStart + end > buffer.length) {
      throw fail(`tensor '${name}' lies outside the file or does not match its shape (truncated?)`);
    }
    const data = wide ? new Float64Array(count) : new Float32Array(count);
    Buffer.from(data.buffer).set(buffer.subarray(dataStart + begin, dataStart + end));
    tensors[name] = { shape: entry.shape, data };
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string>) ?? {} };
}
