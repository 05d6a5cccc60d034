import os from 'node:os';

import { info, MissingUError, setNumThreads, Tensor, tensor } from '../lib';
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

  it('rejects data that is not a Float32Array', () => {
    const notFloat32 = new Float64Array(4) as unknown as Float32Array;
    expect(() => tensor(notFloat32, [4])).toThrow('expects a Float32Array');
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
