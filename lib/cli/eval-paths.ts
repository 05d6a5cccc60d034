import fs from 'node:fs';
import path from 'node:path';

import { cacheRoot } from '../cache-root';
import { MissingUError } from '../errors';
import { outputFolderProblem } from '../io/output-folder';
import type { FidFlags } from './fid-flags';

/**
 * A path a flag names, and what it must be: an image source ('mnist', a .safetensors file, a checkpoint
 * folder or an image folder), a file, a folder, or a folder to write into (made if absent).
 */
export interface FlagPath {
  flag: string;
  path: string;
  kind: 'images' | 'file' | 'folder' | 'output';
  /** What the path should be, in the message ('a checkpoint folder'); default 'a file' or 'a folder'. */
  what?: string;
}

function problem({ flag, path: at, kind, what }: FlagPath): string | null {
  if (kind === 'output') {
    const why = outputFolderProblem(at);
    return why ? `${flag} ${at}: ${why}` : null;
  }
  if (kind === 'images' && at === 'mnist') return null;
  if (!fs.existsSync(at)) {
    const expected =
      kind === 'images'
        ? "'mnist', a .safetensors file, a checkpoint folder or an image folder"
        : (what ?? `a ${kind}`);
    return `${flag} ${at} does not exist: give ${expected}`;
  }
  const folder = fs.statSync(at).isDirectory();
  if (kind === 'file' && folder) return `${flag} ${at} is a folder, not a file`;
  if (kind === 'folder' && !folder) return `${flag} ${at} is a file, not a folder`;
  return null;
}

/**
 * Checks every path before a command does any work, so that a typo in the last flag does not surface
 * after minutes of sampling; one MissingUError lists each problem on its own line.
 */
export function checkFlagPaths(paths: FlagPath[]): void {
  const problems = paths.map(problem).filter((p): p is string => p !== null);
  if (problems.length === 1) throw new MissingUError(problems[0], { code: 'file' });
  if (problems.length > 1) throw new MissingUError(problems.join('\n'), { code: 'file' });
}

/** The paths of the FID flags: the real images or statistics, the extractor and the statistics cache. */
export function fidFlagPaths(flags: FidFlags): FlagPath[] {
  const stats = flags.real.endsWith('.stats.safetensors');
  const paths: FlagPath[] = [
    { flag: '--real', path: flags.real, kind: stats ? 'file' : 'images', what: 'a feature statistics file' },
  ];
  if (flags.extractor !== 'mnist') {
    paths.push({ flag: '--extractor', path: flags.extractor, kind: 'file', what: 'a TorchScript feature extractor' });
  }
  if (!stats && flags.cache !== false) {
    paths.push({ flag: '--cache', path: flags.cache ?? path.join(cacheRoot(), 'fid-stats'), kind: 'output' });
  }
  return paths;
}
