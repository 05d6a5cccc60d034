import os from 'node:os';
import path from 'node:path';

import { DTYPES, info, jit, MissingUError, setNumThreads, Tensor, tensor } from '../lib';
import { missingUError } from './helpers/errors';

describe('tensor bridge', () => {
  it('round-trips data, shape, dtype and device', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
    using t = tensor(data, [2, 3, 4]);
    expect(t).toBeInstanceOf(Tensor);
    expect(t.shape).toEqual([2, 3, 4]);
    expect(t.dtype).toBe('float32');
    expect(t.device).toBe('cpu');
    expect(t.toFloat32Array()).toEqual(data);
  });

  it('copies the input, so later writes to the array do not reach the tensor', () => {
    const data = new Float32Array([1, 2, 3]);
    using t = tensor(data, [3]);
    data[0] = 99;
    expect(Array.from(t.toFloat32Array())).toEqual([1, 2, 3]);
  });

  it('handles scalars and empty tensors', () => {
    using scalar = tensor(new Float32Array([7]), []);
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.toFloat32Array())).toEqual([7]);
    using empty = tensor(new Float32Array(0), [0, 5]);
    expect(empty.shape).toEqual([0, 5]);
    expect(empty.toFloat32Array().length).toBe(0);
  });

  it('rejects a shape that does not match the data', () => {
    const mismatch = missingUError(() => tensor(new Float32Array(10), [2, 3]));
    expect(mismatch.code).toBe('option');
    expect(mismatch.message).toBe(
      'tensor(): shape [2, 3] holds 6 elements but data has 10: give 6 values, or a shape whose sizes multiply to 10',
    );
    expect(() => tensor(new Float32Array(6), [2, -3])).toThrow('shape[1] must be a non-negative integer');
    expect(() => tensor(new Float32Array(6), [2, 1.5, 2])).toThrow('shape[1] must be a non-negative integer');
  });

  it('rejects data that is not one of the typed arrays it takes', () => {
    const wrong = missingUError(() => tensor(new Int16Array(4) as unknown as Int32Array, [4]));
    expect(wrong.message).toBe(
      'tensor(): data must be a Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array; ' +
        'make one with e.g. Float32Array.from(values)',
    );
    expect(missingUError(() => tensor(new Float32Array(1), [1], { dtype: 'int8' as 'int32' })).message).toBe(
      `tensor(): unknown dtype 'int8': use ${DTYPES.slice(0, -1).join(', ')} or bool`,
    );
  });

  it('cannot be used after dispose, and dispose is idempotent', () => {
    const t = tensor(new Float32Array(4), [4]);
    expect(t.disposed).toBe(false);
    t.dispose();
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.shape).toThrow('this Tensor was disposed');
    expect(() => t.toFloat32Array()).toThrow('this Tensor was disposed');
  });

  it('cannot be constructed directly', () => {
    const Ctor = Tensor as unknown as new () => unknown;
    expect(() => new Ctor()).toThrow('use tensor(data, shape, { device })');
  });
});

describe('tensor element types', () => {
  it("keep the typed array's own type and read back into it", () => {
    using f64 = tensor(new Float64Array([0.1, 1e300]), [2]);
    expect(f64.dtype).toBe('float64');
    expect(f64.toTypedArray()).toEqual(new Float64Array([0.1, 1e300]));
    using i32 = tensor(new Int32Array([-7, 2 ** 31 - 1]), [2]);
    expect(i32.dtype).toBe('int32');
    expect(i32.toTypedArray()).toEqual(new Int32Array([-7, 2 ** 31 - 1]));
    using i64 = tensor(new BigInt64Array([-(2n ** 62n), 999n]), [1, 2]);
    expect(i64.dtype).toBe('int64');
    expect(i64.toTypedArray()).toEqual(new BigInt64Array([-(2n ** 62n), 999n]));
    expect(Array.from(i64.toFloat32Array())).toEqual([-(2 ** 62), 999]);
    using u8 = tensor(new Uint8Array([0, 255]), [2]);
    expect(u8.dtype).toBe('uint8');
    expect(u8.toTypedArray()).toEqual(new Uint8Array([0, 255]));
  });

  it('convert to the dtype asked for', () => {
    using labels = tensor(new Int32Array([3, 7]), [2], { dtype: 'int64' });
    expect(labels.dtype).toBe('int64');
    expect(labels.toTypedArray()).toEqual(new BigInt64Array([3n, 7n]));
    using truncated = tensor(new Float32Array([1.9, -2.5]), [2], { dtype: 'int32' });
    expect(truncated.toTypedArray()).toEqual(new Int32Array([1, -2]));
    using half = tensor(new Float32Array([1 / 3]), [1], { dtype: 'bfloat16' });
    expect(half.dtype).toBe('bfloat16');
    expect(half.toTypedArray()).toEqual(new Float32Array([0.333984375]));
    using mask = tensor(new Uint8Array([0, 2]), [2], { dtype: 'bool' });
    expect(mask.dtype).toBe('bool');
    expect(mask.toTypedArray()).toEqual(new Uint8Array([0, 1]));
  });

  it('reach a TorchScript forward that needs int64 steps and labels', async () => {
    using net = jit.load(path.join(__dirname, 'fixtures', 'labelled_net.pt'));
    using x = tensor(new Float32Array(2 * 1 * 2 * 2), [2, 1, 2, 2]);
    using t = tensor(new BigInt64Array([10n, 500n]), [2]);
    using y = tensor(new Int32Array([3, 10]), [2], { dtype: 'int64' });
    using out = await net.forward(x, t, y);
    expect(Array.from(out.toFloat32Array())).toEqual([...Array(4).fill(310), ...Array(4).fill(1500)]);
  });
});

describe('devices', () => {
  const data = new Float32Array([1, 2]);

  it("'auto' falls back to the CPU when CUDA is not usable", () => {
    using t = tensor(data, [2], { device: 'auto' });
    expect(t.device).toBe(info().cuda ? 'cuda:0' : 'cpu');
  });

  it('names the problem with a CUDA device on a CPU-only build or machine', () => {
    if (info().cuda) return; // this check is about machines without CUDA; gpu-check covers the rest
    const reason = info().build.cuda === 'yes' ? 'no CUDA device is visible' : 'has no CUDA support';
    expect(() => tensor(data, [2], { device: 'cuda' })).toThrow(reason);
    expect(() => tensor(data, [2], { device: 'cuda:1' })).toThrow(reason);
  });

  it('rejects unknown device names with the valid spellings', () => {
    expect(() => tensor(data, [2], { device: 'tpu' as 'cpu' })).toThrow(
      "unknown device 'tpu': use 'auto', 'cpu', 'cuda' or 'cuda:N'",
    );
    expect(() => tensor(data, [2], { device: 'cuda:x' as 'cuda' })).toThrow("invalid device 'cuda:x'");
    expect(() => tensor(data, [2], { device: 3 as unknown as 'cpu' })).toThrow(MissingUError);
  });
});

describe('threads', () => {
  it('default to the number of cores and can be set', () => {
    const before = info().threads;
    expect(before).toBe(Number(process.env.MISSING_U_NUM_THREADS) || os.availableParallelism());
    setNumThreads(1);
    expect(info().threads).toBe(1);
    setNumThreads(before);
    expect(info().threads).toBe(before);
    for (const n of [0, -5, 1e9, 2.5]) {
      const error = missingUError(() => setNumThreads(n));
      expect(error.code).toBe('option');
      expect(error.message).toContain(`setNumThreads(n) needs an integer n between 1 and 1024, got ${n}`);
    }
  });
});
