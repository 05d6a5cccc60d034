import type { TrainConfigJson } from '../config/train-config';
import type { ImageDataset } from './dataset';
import { loadImageFolder } from './image-folder';
import { loadMnistIdxAsync } from './mnist-idx';
import { loadMnistPackageAsync } from './mnist-package';

/** The dataset a config's `data` section names. */
export async function loadDataset(data: TrainConfigJson['data']): Promise<ImageDataset> {
  switch (data.source) {
    case 'mnist-package':
      return loadMnistPackageAsync(data.limit);
    case 'mnist-idx':
      return loadMnistIdxAsync(data.images, data.labels);
    case 'image-folder':
      return loadImageFolder(data.path, data);
  }
}
