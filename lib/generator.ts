import { native } from './native';
import type { Tensor } from './tensor';

/**
 * A seeded PyTorch CPU generator, like `torch.Generator().manual_seed(seed)`: each `randn(shape)`
 * continues its stream, so `new Generator(s).randn(shape)` equals `torch.manual_seed(s); torch.randn(shape)`.
 */
export interface Generator {
  /** The next standard normal float32 draws of `shape`, on the CPU. */
  randn(shape: readonly number[]): Tensor;
  dispose(): void;
  [Symbol.dispose](): void;
}

interface GeneratorClass {
  /** `seed`: a safe integer >= 0. */
  new (seed: number): Generator;
}

/** The class of every Generator: `new Generator(seed)`. */
export const Generator = native.Generator as unknown as GeneratorClass;
