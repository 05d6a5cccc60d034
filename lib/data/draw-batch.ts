import type { Tensor } from '../tensor';
import { native } from '../native';
import type { TrainingImages } from './dataset';

export interface DrawBatchOptions {
  /** Images in the batch: a run's global batch (train.batchSize x ranks). */
  n: number;
  /** The run's train.seed. */
  seed?: number;
}

/**
 * The first batch a training run with this seed and batch size draws from `training` (its rows, then its
 * random mirrors when horizontalFlip is on), as the run trains on it: (n, C, H, W) in [-1, 1]. For looking
 * at what a run sees; dispose() the tensor.
 */
export function drawBatch(training: TrainingImages, opts: DrawBatchOptions): Tensor {
  const { images, horizontalFlip } = training;
  const source = 'file' in images ? { file: images.file } : images.data;
  return native.dataDrawBatch(source, [...images.shape], { n: opts.n, seed: opts.seed ?? 0, horizontalFlip }) as Tensor;
}
