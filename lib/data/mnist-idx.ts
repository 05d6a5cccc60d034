import { MissingUError } from '../errors';
import { readIdxFile } from '../io/idx';
import type { ImageDataset } from './dataset';

/**
 * MNIST in its IDX format (train-images-idx3-ubyte, optionally .gz, with the labels file if given),
 * as (N, 1, 28, 28) float32 in [-1, 1]. Both files are read with bounded memory: the header first,
 * then no more than the dimensions it declares.
 */
export function loadMnistIdx(imagesFile: string, labelsFile?: string): ImageDataset {
  const images = readIdxFile(imagesFile, 'IDX image file', 3);
  const [count, rows, cols] = images.dims;
  const data = new Float32Array(images.body.length);
  for (let i = 0; i < data.length; i++) data[i] = images.body[i] / 127.5 - 1;
  let labels: Uint8Array | undefined;
  if (labelsFile) {
    const raw = readIdxFile(labelsFile, 'IDX label file', 1);
    if (raw.dims[0] !== count) {
      throw new MissingUError(
        `${labelsFile} is not an IDX label file for ${count} images (it has ${raw.dims[0]} labels)`,
      );
    }
    labels = new Uint8Array(raw.body);
  }
  return { name: `mnist idx ${imagesFile}`, data, shape: [count, 1, rows, cols], labels };
}
