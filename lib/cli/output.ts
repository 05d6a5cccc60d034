/**
 * stdout and stderr as the CLI writes them: a reader that went away (`| head -1`, a closed terminal)
 * must never end a run. EPIPE and EBADF mark the stream closed and later writes to it are dropped; the
 * work (a checkpoint's save, a sample grid) goes on and the exit code stays the work's own.
 */

const GONE = new Set(['EPIPE', 'EBADF']);
const closed = new WeakSet<NodeJS.WritableStream>();
let installed = false;

function guard(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== undefined && GONE.has(err.code)) {
      closed.add(stream);
      return;
    }
    // Anything else is as unexpected as it was without this listener.
    throw err;
  });
}

/** Installs the listeners on process.stdout and process.stderr; once per process. */
export function guardOutputStreams(): void {
  if (installed) return;
  installed = true;
  guard(process.stdout);
  guard(process.stderr);
}

function write(stream: NodeJS.WriteStream, text: string): void {
  if (closed.has(stream) || stream.destroyed) return;
  try {
    stream.write(text);
  } catch (err) {
    // A synchronous EPIPE/EBADF (a closed descriptor) is the same as the asynchronous one.
    if (!GONE.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    closed.add(stream);
  }
}

/** Writes to stdout unless its reader went away. */
export function writeOut(text: string): void {
  write(process.stdout, text);
}

/** Writes to stderr unless its reader went away. */
export function writeErr(text: string): void {
  write(process.stderr, text);
}
