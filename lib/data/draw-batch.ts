import type { DataSectionInput } from '../schemas/data-options';
import type { Tensor } from '../tensor';
import { native } from '../native';
import type { ImageDataset } from './dataset';
import { trainingImagesFor } from './load';

export interface DrawBatchOptions {
  /** Images in the batch: a run's global batch (train.batchSize x ranks). */
  n: number;
  /** The run's train.seed (default 0). */
  seed?: number;
}

/**
 * The first batch a training run with this seed and batch size draws from `data` (as `train({ data })`
 * takes it: a data section such as `{ source: 'prepared', path, horizontalFlip: true }`, or images in
 * memory), with its random mirrors, exactly as the run trains on it: (n, C, H, W) in [-1, 1]. For looking
 * at what a run sees; dispose() the tensor.
 */
export async function drawBatch(data: DataSectionInput | ImageDataset, opts: DrawBatchOptions): Promise<Tensor> {
  const { images, horizontalFlip } = await trainingImagesFor(data, { where: 'drawBatch: data' });
  const source = 'file' in images ? { file: images.file } : images.data;
  return native.dataDrawBatch(source, [...images.shape], { n: opts.n, seed: opts.seed ?? 0, horizontalFlip }) as Tensor;
}
