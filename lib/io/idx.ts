import { MissingUError } from '../errors';
import { READ_LIMITS, withRegularFile, type OpenFile } from './bounded-read';
import { gunzipBounded, gunzipChunks, gunzipHead, isGzip, mostInflated } from './gzip';

/**
 * Where an IDX file's body goes: called with the dimensions its header declares before any byte of the
 * body is read, it returns the function that takes the body's bytes, chunk by chunk, at their offsets.
 * The chunks are the reader's buffers, reused after the call: copy or convert them, do not keep them.
 */
export type IdxSink = (dims: number[], bytes: number) => (chunk: Uint8Array, offset: number) => void;

export interface IdxRequest {
  file: string;
  /** e.g. 'IDX image file': messages read "<file> is not an <what>". */
  what: string;
  ndims: number;
  /** The most body bytes a header may declare (default READ_LIMITS.idx). */
  maxBytes?: number;
  into: IdxSink;
}

const RAW_CHUNK = 1024 * 1024;

const formatError = (message: string) => new MissingUError(message, { code: 'format' });

function headerBytes(r: IdxRequest): number {
  return 4 + 4 * r.ndims;
}

function maxBytes(r: IdxRequest): number {
  return r.maxBytes ?? READ_LIMITS.idx;
}

function declared(header: Uint8Array, r: IdxRequest): { dims: number[]; bytes: number } {
  const magic = 0x800 + r.ndims;
  const view = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  if (view.length < headerBytes(r) || view.readUInt32BE(0) !== magic) {
    throw formatError(`${r.file} is not an ${r.what} (magic 0x${magic.toString(16).padStart(8, '0')} expected)`);
  }
  const dims = Array.from({ length: r.ndims }, (_, i) => view.readUInt32BE(4 + 4 * i));
  const bytes = dims.reduce((a, b) => a * b, 1);
  if (bytes > maxBytes(r)) {
    throw formatError(
      `${r.what} ${r.file} declares ${dims.join('x')} = ${bytes} bytes, more than the ${maxBytes(r)} missing-u reads`,
    );
  }
  return { dims, bytes };
}

function truncated(r: IdxRequest, dims: number[], expected: number, actual: number): MissingUError {
  return formatError(
    `${r.what} ${r.file} declares ${dims.join('x')} (${expected} bytes with its header) but holds ${actual}: truncated`,
  );
}

function inflatesTooMuch(r: IdxRequest, expected: number): MissingUError {
  return formatError(`${r.what} ${r.file} inflates to more than the ${expected} bytes its header declares`);
}

/** A gzipped file of `compressed` bytes cannot hold more than deflate's 1032:1: refuse a header that says so. */
function checkInflatable(r: IdxRequest, dims: number[], expected: number, compressed: number): void {
  if (expected > mostInflated(compressed)) {
    throw formatError(
      `${r.what} ${r.file} declares ${dims.join('x')} (${expected} bytes with its header), more than its ` +
        `${compressed} compressed bytes can hold (gzip inflates at most 1032:1): a corrupt or crafted header`,
    );
  }
}

function readRaw(open: OpenFile, r: IdxRequest): number[] {
  const { dims, bytes } = declared(open.read(0, Math.min(open.size, headerBytes(r))), r);
  const expected = headerBytes(r) + bytes;
  if (open.size < expected) throw truncated(r, dims, expected, open.size);
  if (open.size > expected) {
    throw formatError(`${r.what} ${r.file} has ${open.size - expected} bytes after the data its header declares`);
  }
  const write = r.into(dims, bytes);
  const chunk = Buffer.allocUnsafe(Math.min(RAW_CHUNK, bytes));
  for (let offset = 0; offset < bytes; offset += chunk.length) {
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - offset));
    open.readInto(piece, headerBytes(r) + offset);
    write(piece, offset);
  }
  return dims;
}

function readCompressed(open: OpenFile, r: IdxRequest): Buffer {
  if (open.size > maxBytes(r)) {
    throw formatError(`${r.what} ${r.file} is ${open.size} bytes compressed, more than missing-u reads`);
  }
  return open.read(0, open.size);
}

/** Takes inflated output chunk by chunk: the header first, then the body, bounded by the header. */
class GzipBody {
  private readonly header: Buffer;
  private headerFilled = 0;
  private dims: number[] = [];
  private bytes = 0;
  private offset = 0;
  private write?: (chunk: Uint8Array, offset: number) => void;

  constructor(
    private readonly r: IdxRequest,
    private readonly compressed: number,
  ) {
    this.header = Buffer.alloc(headerBytes(r));
  }

  push(chunk: Buffer): void {
    let rest = chunk;
    if (!this.write) {
      const take = Math.min(rest.length, this.header.length - this.headerFilled);
      rest.copy(this.header, this.headerFilled, 0, take);
      this.headerFilled += take;
      rest = rest.subarray(take);
      if (this.headerFilled < this.header.length) return;
      ({ dims: this.dims, bytes: this.bytes } = declared(this.header, this.r));
      checkInflatable(this.r, this.dims, this.expected(), this.compressed);
      this.write = this.r.into(this.dims, this.bytes);
    }
    if (rest.length === 0) return;
    if (this.offset + rest.length > this.bytes) throw inflatesTooMuch(this.r, this.expected());
    this.write(rest, this.offset);
    this.offset += rest.length;
  }

  end(): number[] {
    if (!this.write) declared(this.header.subarray(0, this.headerFilled), this.r);
    if (this.offset < this.bytes)
      throw truncated(this.r, this.dims, this.expected(), headerBytes(this.r) + this.offset);
    return this.dims;
  }

  private expected(): number {
    return headerBytes(this.r) + this.bytes;
  }
}

/**
 * Reads an IDX file of unsigned bytes with `ndims` dimensions, raw or gzipped, through the bounded reader:
 * the header is read (or inflated) first and the body, bounded by the dimensions it declares, goes to
 * `into`. A raw body is read in 1 MiB chunks; a gzipped one is inflated into one buffer of its declared
 * size (readIdxFileAsync streams it in 64 KiB chunks instead). Returns the dimensions.
 */
export function readIdxFile(r: IdxRequest): number[] {
  const readGzip = (open: OpenFile): number[] => {
    const compressed = readCompressed(open, r);
    const { dims, bytes } = declared(gunzipHead(compressed, headerBytes(r), r.file, r.what), r);
    const expected = headerBytes(r) + bytes;
    checkInflatable(r, dims, expected, compressed.length); // before anything large is inflated
    const all = gunzipBounded(compressed, expected, r.file, r.what, () => inflatesTooMuch(r, expected));
    if (all.length < expected) throw truncated(r, dims, expected, all.length);
    r.into(dims, bytes)(all.subarray(headerBytes(r)), 0);
    return dims;
  };
  return withRegularFile(r.file, r.what, (open) =>
    isGzip(open.read(0, Math.min(open.size, 2))) ? readGzip(open) : readRaw(open, r),
  );
}

/**
 * readIdxFile with memory bounded by what `into` makes: a gzipped body is inflated as a stream, 64 KiB
 * at a time, and a stream that ends before (or runs past) the size its header declares is refused
 * naming the file.
 */
export async function readIdxFileAsync(r: IdxRequest): Promise<number[]> {
  const read = withRegularFile(r.file, r.what, (open): { dims: number[] } | { compressed: Buffer } =>
    isGzip(open.read(0, Math.min(open.size, 2))) ? { compressed: readCompressed(open, r) } : { dims: readRaw(open, r) },
  );
  if ('dims' in read) return read.dims;
  const { compressed } = read;
  const body = new GzipBody(r, compressed.length);
  await gunzipChunks(compressed, r.file, r.what, (chunk) => body.push(chunk));
  return body.end();
}
