import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

import { MissingUError } from '../errors';

/** Whether `head` starts with the gzip magic bytes. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Deflate inflates at most 1032 bytes per compressed byte (zlib's documented limit), so `compressed`
 * bytes of gzip can never give more than this: a larger declared size is a lie, seen before inflating.
 */
export function mostInflated(compressed: number): number {
  return 1032 * compressed;
}

function broken(file: string, what: string): MissingUError {
  return new MissingUError(`${what} ${file} is not a valid gzip file (corrupt or truncated)`, { code: 'format' });
}

function isTooLarge(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ERR_BUFFER_TOO_LARGE';
}

// A prefix of P bytes inflates to at most ~1032 P: bounded memory.
const PREFIXES = [1024, 64 * 1024];

/**
 * The first `length` bytes `compressed` inflates to (fewer when a 64 KiB prefix of it gives fewer),
 * inflating only a prefix of it: a header can be checked before anything large is inflated.
 */
export function gunzipHead(compressed: Buffer, length: number, file: string, what: string): Buffer {
  let out = Buffer.alloc(0);
  for (const prefix of PREFIXES) {
    const input = compressed.subarray(0, prefix);
    try {
      out = zlib.gunzipSync(input, {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
        maxOutputLength: 1100 * prefix + length,
      });
    } catch (err) {
      if (isTooLarge(err)) break;
      throw broken(file, what);
    }
    if (out.length >= length || input.length === compressed.length) break;
  }
  return out.subarray(0, length);
}

/**
 * All of `compressed` inflated into one buffer of at most `maxOutputLength` bytes (zlib's sync path
 * would otherwise collect 16 KiB pieces and copy them into a second buffer of the whole size). Past
 * the bound `tooLarge()` is thrown, after inflating no more than the bound.
 */
export function gunzipBounded(
  compressed: Buffer,
  maxOutputLength: number,
  file: string,
  what: string,
  tooLarge: () => MissingUError,
): Buffer {
  const bound = Math.max(1, maxOutputLength);
  try {
    return zlib.gunzipSync(compressed, { maxOutputLength: bound, chunkSize: Math.max(64, bound + 1) });
  } catch (err) {
    if (isTooLarge(err)) throw tooLarge();
    throw broken(file, what);
  }
}

const CHUNK = 64 * 1024;

function* slices(buffer: Buffer): Generator<Buffer> {
  for (let at = 0; at < buffer.length; at += CHUNK) yield buffer.subarray(at, at + CHUNK);
}

/**
 * Inflates `compressed` as a stream, handing each piece of output (at most 64 KiB) to `onChunk` in
 * order: memory stays bounded by the chunk, whatever the stream inflates to. An error `onChunk`
 * throws stops the inflation and is thrown as it is; a corrupt stream is a MissingUError naming `file`.
 */
export async function gunzipChunks(
  compressed: Buffer,
  file: string,
  what: string,
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  // pipeline() rejects with an AbortError, not the sink's own error, when the sink throws: keep it.
  let stopped: unknown;
  try {
    await pipeline(Readable.from(slices(compressed)), zlib.createGunzip({ chunkSize: CHUNK }), async (source) => {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        try {
          onChunk(chunk);
        } catch (err) {
          stopped = err;
          throw err;
        }
      }
    });
  } catch {
    if (stopped !== undefined) throw stopped;
    throw broken(file, what);
  }
}
