import { type Device, deviceOrDefault } from './device';
import { MissingUError } from './errors';
import { native, type NativeTensor } from './native';

export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'uint8' | 'bool';

/**
 * A tensor in native memory (CPU or CUDA). Free it with dispose() or a `using` declaration;
 * a finalizer frees it eventually otherwise, and V8 is told its size so the GC can see it.
 */
export interface Tensor extends NativeTensor {
  readonly dtype: DType;
  [Symbol.dispose](): void;
}

/** The class of every Tensor, for `instanceof`; create tensors with tensor(). */
export const Tensor = native.Tensor as abstract new () => Tensor;

export interface TensorOptions {
  /** Defaults to 'cpu'. */
  device?: Device;
}

/** A float32 tensor of `shape` holding a copy of `data` (row-major), on `opts.device`. */
export function tensor(data: Float32Array, shape: readonly number[], opts: TensorOptions = {}): Tensor {
  // Bad sizes and a non-Float32Array are native's to name; a count that does not match is named here.
  const sizes = Array.isArray(shape) && shape.every((v) => Number.isSafeInteger(v) && v >= 0);
  const count = sizes ? shape.reduce((a, b) => a * b, 1) : undefined;
  if (count !== undefined && typeof data?.length === 'number' && data.length !== count) {
    throw new MissingUError(
      `tensor(): shape [${shape.join(', ')}] holds ${count} elements but data has ${data.length}: ` +
        `give ${count} values, or a shape whose sizes multiply to ${data.length}`,
    );
  }
  return native.createTensor(data, [...shape], deviceOrDefault(opts.device, 'tensor()')) as Tensor;
}
