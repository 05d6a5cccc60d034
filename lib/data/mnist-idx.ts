import { MissingUError } from '../errors';
import { readIdxFile, readIdxFileAsync, type IdxRequest } from '../io/idx';
import type { ImageDataset } from './dataset';

interface Decoded {
  images: IdxRequest;
  labels?: IdxRequest;
  dataset(): ImageDataset;
}

/** The (N, 1, S, S) shape an IDX image header declares; a MissingUError naming the file when it holds no square images. */
export function idxImageShape(file: string, dims: number[]): [number, number, number, number] {
  const [count, rows, cols] = dims;
  const shape = `${dims.join('x')} (images x rows x columns)`;
  if (count === 0 || rows === 0 || cols === 0) {
    throw new MissingUError(`IDX image file ${file} declares ${shape}: it holds no images`, { code: 'shape' });
  }
  if (rows !== cols) {
    throw new MissingUError(
      `IDX image file ${file} declares ${shape}: missing-u trains and samples square images, these are ${rows}x${cols}`,
      { code: 'shape' },
    );
  }
  return [count, 1, rows, cols];
}

/**
 * The two reads of an MNIST pair, each decoding its body straight into its final array chunk by chunk:
 * the image bytes become floats in [-1, 1] as they arrive, so no copy of the body is kept.
 */
function decoded(imagesFile: string, labelsFile?: string): Decoded {
  let shape: [number, number, number, number] = [0, 1, 0, 0];
  let data = new Float32Array(0);
  let labels: Uint8Array | undefined;
  const images: IdxRequest = {
    file: imagesFile,
    what: 'IDX image file',
    ndims: 3,
    into: (dims, bytes) => {
      shape = idxImageShape(imagesFile, dims);
      data = new Float32Array(bytes);
      return (chunk, offset) => {
        for (let i = 0; i < chunk.length; i++) data[offset + i] = chunk[i] / 127.5 - 1;
      };
    },
  };
  const labelRequest: IdxRequest | undefined = labelsFile
    ? {
        file: labelsFile,
        what: 'IDX label file',
        ndims: 1,
        into: ([count], bytes) => {
          if (count !== shape[0]) {
            throw new MissingUError(
              `IDX label file ${labelsFile} holds ${count} labels but IDX image file ${imagesFile} holds ` +
                `${shape[0]} images: give the label file of those images`,
              { code: 'shape' },
            );
          }
          labels = new Uint8Array(bytes);
          const target = labels;
          return (chunk, offset) => target.set(chunk, offset);
        },
      }
    : undefined;
  return {
    images,
    labels: labelRequest,
    dataset: () => ({ name: `mnist idx ${imagesFile}`, data, shape, labels }),
  };
}

/**
 * MNIST in its IDX format (train-images-idx3-ubyte, optionally .gz, with the labels file if given),
 * as (N, 1, S, S) float32 in [-1, 1]. Both files are read with bounded memory: the header first, then
 * no more than the dimensions it declares, decoded chunk by chunk into the final arrays (a gzipped body
 * is inflated into one buffer of its size first; loadMnistIdxAsync streams it).
 */
export function loadMnistIdx(imagesFile: string, labelsFile?: string): ImageDataset {
  const read = decoded(imagesFile, labelsFile);
  readIdxFile(read.images);
  if (read.labels) readIdxFile(read.labels);
  return read.dataset();
}

/** loadMnistIdx with gzipped files inflated as a stream: the peak is the float32 images and 64 KiB. */
export async function loadMnistIdxAsync(imagesFile: string, labelsFile?: string): Promise<ImageDataset> {
  const read = decoded(imagesFile, labelsFile);
  await readIdxFileAsync(read.images);
  if (read.labels) await readIdxFileAsync(read.labels);
  return read.dataset();
}
