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
  ENFILE: 'too many open files in the system',
  ELOOP: 'too many symbolic links on the way (a link loop)',
  ENAMETOOLONG: 'the path or one of its names is too long',
  EBUSY: 'the file or device is busy',
  ETXTBSY: 'the file is a running program',
  EFBIG: 'the file would be larger than this file system allows',
  EOVERFLOW: 'the file is too large for this operation',
  ENXIO: 'no such device or address (a FIFO without a reader?)',
  ENODEV: 'no such device',
  ESPIPE: 'it cannot be read at an offset (a pipe or socket)',
  EXDEV: 'the source and the target are on different file systems',
  EMLINK: 'too many links',
  ESTALE: 'stale file handle (a network file system lost it)',
  ENOTSUP: 'this file system does not support the operation',
  EOPNOTSUPP: 'this file system does not support the operation',
  EINVAL: 'an invalid argument for this file or file system',
  EBADF: 'the file was closed while in use',
  EAGAIN: 'the resource is temporarily unavailable',
  EINTR: 'the operation was interrupted',
  ETIMEDOUT: 'the operation timed out',
  ENOMEM: 'out of memory',
  EPIPE: 'the other end of the pipe was closed',
  ERR_OUT_OF_RANGE: 'a size or offset is out of range',
  ERR_FS_FILE_TOO_LARGE: 'the file is larger than Node.js reads at once (2 GiB)',
  ERR_BUFFER_TOO_LARGE: 'larger than the largest buffer Node.js can make',
  ERR_STRING_TOO_LONG: 'longer than the longest string Node.js can make',
};

const FIX: Record<string, string> = {
  ENOSPC: 'free some space and try again',
  EDQUOT: 'free some space and try again',
  EACCES: 'check the permissions of the path',
  EPERM: 'check the permissions of the path',
  EROFS: 'choose a writable location',
  ELOOP: 'check where the symbolic links in the path point',
  ENAMETOOLONG: 'choose a shorter path',
  EMFILE: 'raise the open-file limit (ulimit -n) or close other programs',
  ENFILE: 'close other programs and try again',
  EXDEV: 'choose a location on the same file system',
};

/** The words of a code the table does not know: Node's own description without the code and path. */
function fallback(err: unknown, code: string): string {
  const message = String((err as Error | null)?.message ?? '').split('\n')[0];
  // System errors read "ECODE: description, syscall 'path'"; other errors are words already.
  const words = (message.startsWith(`${code}: `) ? message.slice(code.length + 2).split(',')[0] : message).trim();
  return words || `error ${code}`;
}

/**
 * One line for a failed file operation that names the path, the cause and, where there is one, the
 * fix: "could not write /x/model.safetensors: no space left on device (ENOSPC); free some space and try again".
 */
export function describeIoError(err: unknown, action: string, file: string): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const what = code ? (WHAT[code] ?? fallback(err, code)) : String((err as Error | null)?.message ?? err);
  const fix = code && FIX[code] ? `; ${FIX[code]}` : '';
  return `${action} ${file}: ${what}${code ? ` (${code})` : ''}${fix}`;
}
