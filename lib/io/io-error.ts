const WHAT: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it already exists',
  ENOTEMPTY: 'the folder is not empty',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

const FIX: Record<string, string> = {
  ENOSPC: 'free some space and try again',
  EDQUOT: 'free some space and try again',
  EACCES: 'check the permissions of the path',
  EPERM: 'check the permissions of the path',
  EROFS: 'choose a writable location',
};

/**
 * One line for a failed file operation that names the path, the cause and, where there is one, the
 * fix: "could not write /x/model.safetensors: no space left on device (ENOSPC); free some space and try again".
 */
export function describeIoError(err: unknown, action: string, file: string): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const what = code ? (WHAT[code] ?? code.toLowerCase()) : String((err as Error | null)?.message ?? err);
  const fix = code && FIX[code] ? `; ${FIX[code]}` : '';
  return `${action} ${file}: ${what}${code ? ` (${code})` : ''}${fix}`;
}
