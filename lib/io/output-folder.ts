import fs from 'node:fs';
import path from 'node:path';

/**
 * Why files cannot be written into the folder `dir` (made if absent), or null when they can: checked
 * before work, so that a run does not compute for minutes and then fail to write its result. Nothing
 * is created; the nearest existing folder on the way must be a writable folder.
 */
export function outputFolderProblem(dir: string): string | null {
  const target = path.resolve(dir);
  let at = target;
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(at);
  } catch (err) {
    return `${at} cannot be read (${(err as NodeJS.ErrnoException).code})`;
  }
  if (!stat.isDirectory()) {
    return at === target ? `${dir} is a file, not a folder` : `${at} is a file, so no folder can be made under it`;
  }
  try {
    fs.accessSync(at, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    return `${at} is not writable`;
  }
  return null;
}
