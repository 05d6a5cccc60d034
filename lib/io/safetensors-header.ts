import type { MissingUError } from '../errors';
import { jsonStructureProblem } from './json-structure';

/** Bytes per element of every dtype the safetensors format defines with a whole number of bytes. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
  C64: 8,
};

/** One tensor of a validated header; `begin`/`end` are byte offsets into the data section. */
export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** In the order the header lists them. */
  tensors: TensorEntry[];
  metadata: Record<string, string>;
}

type Fail = (why: string) => MissingUError;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (value === null) return {};
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw fail('its __metadata__ is not a map of strings to strings');
  }
  return value as Record<string, string>;
}

function parseEntry(name: string, value: unknown, fail: Fail): TensorEntry {
  const bad = (why: string) => fail(`tensor '${name}' ${why}`);
  if (!isObject(value)) throw bad('is not an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    throw bad(`has dtype ${JSON.stringify(dtype)}, which the safetensors format does not define`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad('has a shape that is not a list of sizes');
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw bad('has data_offsets that are not two non-negative integers');
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw bad(`has data_offsets [${begin}, ${end}] that end before they begin`);
  let bytes = DTYPE_BYTES[dtype];
  for (const size of shape as number[]) {
    bytes *= size;
    if (!Number.isSafeInteger(bytes)) throw bad(`has a shape of more elements than any file holds`);
  }
  if (bytes !== end - begin) {
    throw bad(`is ${dtype} [${shape.join(', ')}] (${bytes} bytes) but its data_offsets span ${end - begin} bytes`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Tensors sorted by offset must tile the data section exactly: no gap, no overlap, nothing after. */
function checkLayout(tensors: TensorEntry[], dataLength: number, fail: Fail): void {
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: TensorEntry | undefined;
  for (const t of sorted) {
    if (t.end > dataLength) {
      throw fail(
        `tensor '${t.name}' lies outside the file (its data ends at byte ${t.end} of a ${dataLength}-byte data section; truncated?)`,
      );
    }
    if (t.begin < at) {
      throw fail(`tensor '${t.name}' starts at byte ${t.begin}, inside the data of tensor '${previous?.name}'`);
    }
    if (t.begin > at) {
      throw fail(`tensor '${t.name}' starts at byte ${t.begin}, leaving a gap after byte ${at} of the data section`);
    }
    at = t.end;
    previous = t;
  }
  if (at !== dataLength) {
    throw fail(`its data section has ${dataLength} bytes but its tensors cover only ${at} (trailing bytes)`);
  }
}

/**
 * Parses and validates a safetensors header as the format specifies: a JSON object without duplicate
 * keys, each tensor with a known dtype, a shape of sizes and data_offsets that match it, all of them
 * covering the `dataLength` bytes after the header exactly; __metadata__ a map of strings.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, dataLength: number, fail: Fail): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw fail('its header is not UTF-8 text');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw fail('its header is not JSON');
  }
  if (!isObject(header)) throw fail('its header is not a JSON object');
  const problem = jsonStructureProblem(text);
  if (problem) throw fail(`its header is malformed: ${problem}`);
  const tensors: TensorEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') metadata = parseMetadata(value, fail);
    else tensors.push(parseEntry(name, value, fail));
  }
  checkLayout(tensors, dataLength, fail);
  return { tensors, metadata };
}
