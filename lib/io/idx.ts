import { MissingUError } from '../errors';
import { READ_LIMITS, withRegularFile, type OpenFile } from './bounded-read';
import { gunzipBounded, gunzipHead, isGzip } from './gzip';

/** An IDX file of unsigned bytes: its dimensions and the bytes after its header. */
export interface IdxFile {
  dims: number[];
  body: Buffer;
}

interface Expect {
  file: string;
  /** e.g. 'IDX image file': messages read "<file> is not an <what>". */
  what: string;
  ndims: number;
  maxBytes: number;
}

function declared(header: Buffer, e: Expect): { dims: number[]; bytes: number } {
  const magic = 0x800 + e.ndims;
  if (header.length < 4 + 4 * e.ndims || header.readUInt32BE(0) !== magic) {
    throw new MissingUError(`${e.file} is not an ${e.what} (magic 0x${magic.toString(16).padStart(8, '0')} expected)`);
  }
  const dims = Array.from({ length: e.ndims }, (_, i) => header.readUInt32BE(4 + 4 * i));
  const bytes = dims.reduce((a, b) => a * b, 1);
  if (bytes > e.maxBytes) {
    throw new MissingUError(
      `${e.what} ${e.file} declares ${dims.join('x')} = ${bytes} bytes, more than the ${e.maxBytes} missing-u reads`,
    );
  }
  return { dims, bytes };
}

function truncated(e: Expect, dims: number[], expected: number, actual: number): MissingUError {
  return new MissingUError(
    `${e.what} ${e.file} declares ${dims.join('x')} (${expected} bytes with its header) but holds ${actual}: truncated`,
  );
}

function readRaw(open: OpenFile, e: Expect): IdxFile {
  const headerBytes = 4 + 4 * e.ndims;
  const { dims, bytes } = declared(open.read(0, Math.min(open.size, headerBytes)), e);
  const expected = headerBytes + bytes;
  if (open.size < expected) throw truncated(e, dims, expected, open.size);
  if (open.size > expected) {
    throw new MissingUError(`${e.what} ${e.file} has ${open.size - expected} bytes after the data its header declares`);
  }
  return { dims, body: open.read(headerBytes, bytes) };
}

function readGzip(open: OpenFile, e: Expect): IdxFile {
  if (open.size > e.maxBytes) {
    throw new MissingUError(`${e.what} ${e.file} is ${open.size} bytes compressed, more than missing-u reads`);
  }
  const compressed = open.read(0, open.size);
  const headerBytes = 4 + 4 * e.ndims;
  const { dims, bytes } = declared(gunzipHead(compressed, headerBytes, e.file, e.what), e);
  const expected = headerBytes + bytes;
  const all = gunzipBounded(
    compressed,
    expected,
    e.file,
    e.what,
    () => new MissingUError(`${e.what} ${e.file} inflates to more than the ${expected} bytes its header declares`),
  );
  if (all.length < expected) throw truncated(e, dims, expected, all.length);
  return { dims, body: all.subarray(headerBytes) };
}

/**
 * Reads an IDX file of unsigned bytes with `ndims` dimensions, raw or gzipped, through the bounded reader:
 * the header is read (or inflated) first and the rest bounded by the dimensions it declares.
 */
export function readIdxFile(file: string, what: string, ndims: number, maxBytes: number = READ_LIMITS.idx): IdxFile {
  const e: Expect = { file, what, ndims, maxBytes };
  return withRegularFile(file, what, (open) =>
    isGzip(open.read(0, Math.min(open.size, 2))) ? readGzip(open, e) : readRaw(open, e),
  );
}
