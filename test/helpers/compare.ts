import type { Tensor } from '../../lib';

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`cannot compare ${a.length} values with ${b.length}`);
}

/** max |a[i] - b[i]|; NaN when either holds a NaN, so a bound on it fails. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  sameLength(a, b);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** max |a[i] - b[i]| / max(floor, |b[i]|): relative where |b| is above floor, absolute below it. */
export function maxRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1): number {
  sameLength(a, b);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(floor, Math.abs(b[i])));
  return worst;
}

/** ||a - b|| / ||b|| over all elements. */
export function relativeL2(a: Tensor, b: Tensor): number {
  const x = a.toFloat32Array();
  const y = b.toFloat32Array();
  sameLength(x, y);
  let num = 0;
  let den = 0;
  x.forEach((v, i) => {
    num += (v - y[i]) ** 2;
    den += y[i] ** 2;
  });
  return Math.sqrt(num / den);
}
