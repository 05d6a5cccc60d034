import { type Device, deviceOrDefault } from './device';
import { MissingUError } from './errors';
import { native, type NativeTensor, type TensorData } from './native';
import { type DType, DTYPES, alternatives } from './schemas/names';

export { DTYPES, type DType, type TensorData };

/**
 * A tensor in native memory (CPU or CUDA). Free it with dispose() or a `using` declaration;
 * a finalizer frees it eventually otherwise, and V8 is told its size so the GC can see it.
 */
export interface Tensor extends NativeTensor {
  readonly dtype: DType;
  /**
   * A copy of the values in the typed array of the tensor's dtype: Float32Array, Float64Array,
   * Int32Array, BigInt64Array (int64), Uint8Array (uint8, and bool as 0/1); float16 and bfloat16 read
   * back as Float32Array. toFloat32Array() converts any dtype to float32.
   */
  toTypedArray(): TensorData;
  [Symbol.dispose](): void;
}

/** The class of every Tensor, for `instanceof`; create tensors with tensor(). */
export const Tensor = native.Tensor as abstract new () => Tensor;

export interface TensorOptions {
  /** Defaults to 'cpu'. */
  device?: Device;
  /**
   * The element type to store; the data is converted to it. Defaults to the data's own: Float32Array ->
   * 'float32', Float64Array -> 'float64', Int32Array -> 'int32', BigInt64Array -> 'int64', Uint8Array -> 'uint8'.
   * Timesteps and class labels for a TorchScript `forward` are usually 'int64'.
   */
  dtype?: DType;
}

const DATA_KINDS = ['Float32Array', 'Float64Array', 'Int32Array', 'BigInt64Array', 'Uint8Array'];

/** The typed array's kind by its tag, which (unlike instanceof) holds for arrays from another realm. */
function dataKind(data: unknown): string | undefined {
  return ArrayBuffer.isView(data) ? Object.prototype.toString.call(data).slice(8, -1) : undefined;
}

/**
 * A tensor of `shape` holding a copy of `data` (row-major), on `opts.device`, of `opts.dtype`
 * (default the typed array's element type).
 *
 * ```ts
 * using t = tensor(new BigInt64Array([10n, 500n]), [2]); // int64
 * using y = tensor(new Int32Array([3, 7]), [2], { dtype: 'int64' });
 * ```
 */
export function tensor(data: TensorData, shape: readonly number[], opts: TensorOptions = {}): Tensor {
  if (!DATA_KINDS.includes(dataKind(data) ?? '')) {
    throw new MissingUError(
      `tensor(): data must be a ${alternatives(DATA_KINDS)}; ` + 'make one with e.g. Float32Array.from(values)',
    );
  }
  if (opts.dtype !== undefined && !(DTYPES as readonly string[]).includes(opts.dtype)) {
    throw new MissingUError(`tensor(): unknown dtype '${String(opts.dtype)}': use ${alternatives(DTYPES)}`);
  }
  // Bad sizes are native's to name; a count that does not match is named here.
  const sizes = Array.isArray(shape) && shape.every((v) => Number.isSafeInteger(v) && v >= 0);
  const count = sizes ? shape.reduce((a, b) => a * b, 1) : undefined;
  if (count !== undefined && data.length !== count) {
    throw new MissingUError(
      `tensor(): shape [${shape.join(', ')}] holds ${count} elements but data has ${data.length}: ` +
        `give ${count} values, or a shape whose sizes multiply to ${data.length}`,
    );
  }
  return native.createTensor(data, [...shape], deviceOrDefault(opts.device, 'tensor()'), opts.dtype) as Tensor;
}
