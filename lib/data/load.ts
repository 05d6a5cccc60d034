import { parseOptions } from '../schemas/parse-options';
import { DataSectionSchema, type DataSection, type DataSectionInput } from '../schemas/data-options';
import type { ImageDataset, TrainingImages } from './dataset';
import { preparedCacheFor } from './prepared/cache';
import { readPreparedImages } from './prepared-in-memory';
import { readPreparedManifest } from './prepared/manifest';

/**
 * The images a config's `data` section names, as a prepared file that training reads batch by batch: a
 * `prepared` folder as it is, any other source prepared once into the cache (a later run with the same
 * source and settings reuses it).
 */
export async function openTrainingImages(
  data: DataSection,
  opts: { signal?: AbortSignal } = {},
): Promise<TrainingImages> {
  const { dir, manifest, imagesFile } =
    data.source === 'prepared' ? readPreparedManifest(data.path) : await preparedCacheFor(data, opts);
  return {
    images: {
      name: data.source === 'prepared' ? `prepared dataset ${dir}` : `${data.source} (prepared in ${dir})`,
      file: imagesFile,
      shape: [manifest.count, manifest.channels, manifest.height, manifest.width],
    },
    horizontalFlip: data.horizontalFlip,
  };
}

/** What `train({ data })` takes: a data section (validated here; default the embedded digits) or images in memory. */
export async function trainingImagesFor(
  data: DataSectionInput | ImageDataset | undefined,
  opts: { signal?: AbortSignal; where: string },
): Promise<TrainingImages> {
  if (data !== undefined && 'data' in data && data.data instanceof Float32Array)
    return { images: data, horizontalFlip: false };
  return openTrainingImages(parseOptions(DataSectionSchema, data, opts.where), opts);
}

/**
 * The dataset a config's `data` section names, in memory (for evaluating against it): the same prepared
 * images training reads.
 */
export async function loadDataset(data: DataSection): Promise<ImageDataset> {
  const { dir } = data.source === 'prepared' ? { dir: data.path } : await preparedCacheFor(data);
  return readPreparedImages(dir);
}
