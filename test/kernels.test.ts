// native/kernels against ATen: the fused kernels must compute what the operators they replace compute.
import { tensor, type Tensor } from '../lib';
import { native } from '../lib/native';

function worstRelative(got: Tensor, want: Tensor, floor: number): number {
  const a = got.toFloat32Array();
  const b = want.toFloat32Array();
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]) / Math.max(floor, Math.abs(b[i]))), 0);
}

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
});
