// native/kernels against ATen: the fused kernels must compute what the operators they replace compute.
import { tensor, type Tensor } from '../lib';
import { native } from '../lib/native';
import { maxRelativeDifference } from './helpers/compare';

const worstRelative = (got: Tensor, want: Tensor, floor: number) =>
  maxRelativeDifference(got.toFloat32Array(), want.toFloat32Array(), floor);

describe('softplus kernel', () => {
  // -110..110 covers both saturated ends (e^x underflows, softplus(x) = x) and every lane tail (n % 8 = 3).
  const n = 20003;
  const x = Float32Array.from({ length: n }, (_, i) => (i / n - 0.5) * 220 + Math.sin(i) * 0.01);
  const dy = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.3));

  it.each([
    ['float32', 1e-6],
    ['bfloat16', 2 ** -8],
  ] as const)('matches at::softplus and its backward in %s', (dtype, tolerance) => {
    using input = tensor(x, [n]);
    using grad = tensor(dy, [n]);
    const fused = native.kernelSoftplus(input, grad, true, dtype);
    const aten = native.kernelSoftplus(input, grad, false, dtype);
    const [fy, fdx, ay, adx] = [fused.y, fused.dx, aten.y, aten.dx] as Tensor[];
    // Below 1e-30 both are 0 or denormal: compare absolutely there.
    expect(worstRelative(fy, ay, 1e-30)).toBeLessThan(tolerance);
    expect(worstRelative(fdx, adx, 1e-6)).toBeLessThan(tolerance);
    for (const t of [fy, fdx, ay, adx]) t.dispose();
  });

  // NaN, +Inf and -Inf in the vector body (the first 16) and the scalar tail (the last 3 of 19).
  const specials = [NaN, Infinity, -Infinity, 1, NaN, -2, Infinity, 0, -Infinity, 30, NaN, -30, 5, 0.5, NaN, 3];
  const sx = Float32Array.from([...specials, Infinity, NaN, -Infinity]);
  const sdy = Float32Array.from(sx, (_, i) => 1 + i / 8);

  it.each(['float32', 'bfloat16'] as const)('keeps NaN and +-Inf as at::softplus does, in %s', (dtype) => {
    using input = tensor(sx, [sx.length]);
    using grad = tensor(sdy, [sx.length]);
    const fused = native.kernelSoftplus(input, grad, true, dtype);
    const aten = native.kernelSoftplus(input, grad, false, dtype);
    const tolerance = dtype === 'float32' ? 1e-6 : 2 ** -8;
    for (const [got, want] of [
      [fused.y, aten.y],
      [fused.dx, aten.dx],
    ] as Tensor[][]) {
      const a = got.toFloat32Array();
      const b = want.toFloat32Array();
      // Where ATen gives NaN or an infinity the kernel gives the same; elsewhere the same number.
      const differing = Array.from(b, (_, i) => i).filter((i) =>
        Number.isFinite(b[i])
          ? !(Math.abs(a[i] - b[i]) <= tolerance * Math.max(1, Math.abs(b[i])))
          : !Object.is(a[i], b[i]),
      );
      expect(differing.map((i) => `x=${sx[i]}: ${a[i]} vs ${b[i]}`)).toEqual([]);
      expect(b.filter(Number.isNaN)).toHaveLength(sx.filter(Number.isNaN).length);
    }
    for (const t of [fused.y, fused.dx, aten.y, aten.dx] as Tensor[]) t.dispose();
  });
});
