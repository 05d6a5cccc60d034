import { MissingUError } from './errors';
import type { NativeProgress } from './native';

/** Throws a MissingUError with code 'aborted' (its cause the signal's reason) when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new MissingUError(`${what} was aborted`, { code: 'aborted', cause: signal.reason });
}

/**
 * Runs a native job with progress and cancellation: the job polls an Int32Array flag that an
 * AbortSignal sets; progress reports are forwarded to `onProgress`, and an exception thrown there
 * rejects the job's promise (after the job stops) instead of escaping into the event loop.
 */
export async function runAbortable<T extends { aborted: boolean }, P>(
  start: (onProgress: NativeProgress | undefined, abortFlag: Int32Array) => Promise<T>,
  opts: { signal?: AbortSignal; onProgress?: (progress: P) => void },
): Promise<T> {
  const { signal, onProgress } = opts;
  throwIfAborted(signal, 'the call');
  const flag = new Int32Array(1);
  const abort = () => Atomics.store(flag, 0, 1);
  signal?.addEventListener('abort', abort, { once: true });
  let callbackError: unknown;
  const forward: NativeProgress | undefined = onProgress
    ? (report) => {
        try {
          onProgress(report as P);
        } catch (err) {
          callbackError ??= err;
          abort();
        }
      }
    : undefined;
  try {
    const result = await start(forward, flag);
    if (callbackError !== undefined) throw callbackError;
    return result;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
