import { MissingUError } from '../../lib';

/** The MissingUError `run` throws, or the promise rejects with; fails the test on anything else or nothing. */
export function missingUError(run: () => unknown): MissingUError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(MissingUError);
    return err as MissingUError;
  }
  throw new Error('expected a MissingUError, nothing was thrown');
}

export async function missingURejection(promise: Promise<unknown>): Promise<MissingUError> {
  return promise.then(
    () => {
      throw new Error('expected a MissingUError, the promise resolved');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(MissingUError);
      return err as MissingUError;
    },
  );
}
