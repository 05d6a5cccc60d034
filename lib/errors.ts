/** An error raised by missing-u itself (as opposed to a bug): the message says what is wrong and how to fix it. */
export class MissingUError extends Error {
  override name = 'MissingUError';
}
