import { type Device, deviceOrDefault } from './device';
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
  return native.createTensor(data, [...shape], deviceOrDefault(opts.device, 'tensor()')) as Tensor;
}
