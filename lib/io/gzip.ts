import zlib from 'node:zlib';

import { MissingUError } from '../errors';

/** Whether `head` starts with the gzip magic bytes. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

function broken(file: string, what: string): MissingUError {
  return new MissingUError(`${what} ${file} is not a valid gzip file (corrupt or truncated)`);
}

function isTooLarge(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ERR_BUFFER_TOO_LARGE';
}

// Deflate inflates at most ~1032:1, so a prefix of P bytes gives at most ~1032 P: bounded memory.
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
 * All of `compressed` inflated, stopping as soon as it passes `maxOutputLength` bytes: then
 * `tooLarge()` is thrown, after inflating no more than the bound.
 */
export function gunzipBounded(
  compressed: Buffer,
  maxOutputLength: number,
  file: string,
  what: string,
  tooLarge: () => MissingUError,
): Buffer {
  try {
    return zlib.gunzipSync(compressed, { maxOutputLength: Math.max(1, maxOutputLength) });
  } catch (err) {
    if (isTooLarge(err)) throw tooLarge();
    throw broken(file, what);
  }
}
