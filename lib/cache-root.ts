import os from 'node:os';
import path from 'node:path';

/** missing-u's cache folder: $MISSING_U_CACHE, else ~/.cache/missing-u (prepared data sets, FID statistics). */
export function cacheRoot(): string {
  return process.env.MISSING_U_CACHE || path.join(os.homedir(), '.cache', 'missing-u');
}
