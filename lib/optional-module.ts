import { MissingUError } from './errors';

/**
 * Loads a package on first use rather than when missing-u is required: the heavy ones (sharp, zod)
 * and the optional ones (mnist, vega, vega-lite: peer dependencies an inference-only install can
 * leave out). An absent package is a MissingUError (code 'dependency') naming what needs it and the
 * command that installs it.
 */
export function loadModule<T>(name: string, neededFor: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String(err).includes(`'${name}'`)) throw err;
    throw new MissingUError(
      `${neededFor} needs the npm package '${name}', which is not installed: run npm install ${name}`,
      {
        code: 'dependency',
        cause: err,
      },
    );
  }
}

/** Which of `names` cannot be found, without loading any: for a check before work that needs them. */
export function missingModules(names: readonly string[]): string[] {
  return names.filter((name) => {
    try {
      require.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}
