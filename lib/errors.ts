/**
 * What kind of failure a MissingUError is, stable across releases so callers can branch on it:
 * - 'file': a file or folder is missing, unreadable, or not what was asked for (a folder for a file);
 * - 'format': a file is corrupt or of another kind (not a checkpoint, not TorchScript, not safetensors);
 * - 'shape': tensor names or shapes do not match a model's;
 * - 'device': a device is unknown or unavailable;
 * - 'option': an option or argument is invalid (the message names it);
 * - 'aborted': an AbortSignal stopped the call;
 * - 'dependency': an optional package (mnist, vega, vega-lite) is not installed;
 * - 'numeric': NaN or infinite values (a diverged run, corrupt weights);
 * - 'distributed': a data-parallel group failed;
 * - 'internal': anything else (a libtorch failure).
 */
export type MissingUErrorCode =
  'file' | 'format' | 'shape' | 'device' | 'option' | 'aborted' | 'dependency' | 'numeric' | 'distributed' | 'internal';

export interface MissingUErrorOptions {
  /** Default 'option'. */
  code?: MissingUErrorCode;
  cause?: unknown;
}

/**
 * An error raised by missing-u itself, in TypeScript or in the native addon (as opposed to a bug):
 * the message says what is wrong and how to fix it, and `code` says what kind of failure it is.
 */
export class MissingUError extends Error {
  override name = 'MissingUError';
  readonly code: MissingUErrorCode;

  constructor(message: string, options: MissingUErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'option';
  }
}
