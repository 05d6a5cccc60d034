import { tensor, type Tensor } from '../tensor';

/** Images [start, end) of an (N, C, H, W) float32 block, as a tensor of their own (one copy). */
export function imageRange(data: Float32Array, shape: readonly number[], start: number, end: number): Tensor {
  const [, c, h, w] = shape;
  const per = c * h * w;
  return tensor(data.slice(start * per, end * per), [end - start, c, h, w]);
}
