import type { Tensor } from '../../lib';

/** ||a - b|| / ||b|| over all elements. */
export function relativeL2(a: Tensor, b: Tensor): number {
  const x = a.toFloat32Array();
  const y = b.toFloat32Array();
  let num = 0;
  let den = 0;
  x.forEach((v, i) => {
    num += (v - y[i]) ** 2;
    den += y[i] ** 2;
  });
  return Math.sqrt(num / den);
}
