import { MissingUError } from '../errors';
import { Tensor } from '../tensor';

/** How many of `values` are NaN, Infinity or -Infinity. */
export function countNonFinite(values: ArrayLike<number>): number {
  let bad = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) bad++; // NaN - NaN and Inf - Inf are NaN; finite - itself is 0
  }
  return bad;
}

/**
 * Refuses values holding NaN or +-Infinity, which would give NaN statistics (or a raw eigensolver
 * failure) instead of a metric: a `numeric` MissingUError "<what> holds 3 non-finite values (NaN or
 * +-Infinity) among 784; <why>".
 */
export function requireFinite(values: ArrayLike<number>, what: string, why: string): void {
  const bad = countNonFinite(values);
  if (bad === 0) return;
  throw new MissingUError(
    `${what} holds ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or +-Infinity) among ${values.length}; ${why}`,
    { code: 'numeric' },
  );
}

export const IMAGES_WHY = 'metrics of such images are meaningless: give finite images (a diverged model makes NaN)';

/**
 * requireFinite on the images an evaluation function was given (a float32 copy of them is scanned),
 * naming the function and argument: "ssim: a holds ...". Anything but a live Tensor is left to the
 * function's own checks.
 */
export function requireFiniteImages(images: unknown, what: string): void {
  if (!(images instanceof Tensor) || images.disposed) return;
  requireFinite(images.toFloat32Array(), what, IMAGES_WHY);
}

/** requireFiniteImages on a pair of images `a` and `b` of function `fn`, as a rejected promise (as `fn` reports errors). */
export function finitePairOrReject<T>(fn: string, a: unknown, b: unknown, run: () => Promise<T>): Promise<T> {
  try {
    requireFiniteImages(a, `${fn}: a`);
    requireFiniteImages(b, `${fn}: b`);
  } catch (err) {
    return Promise.reject(err);
  }
  return run();
}
