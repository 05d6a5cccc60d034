import { z } from 'zod';

import { CORRUPT_IMAGE_ACTIONS, RESIZE_RULES } from './names';
import { positiveInt } from './train-options';

/** Mirror each drawn image left-right with probability 1/2 (from the run's generator), on the fly. */
const horizontalFlip = z.boolean().default(false);

/**
 * A training config's `data` section: where the images come from. Every source but `prepared` is prepared
 * once into a cache folder (see `missing-u data prepare`) and trained from there, so a run's memory does
 * not grow with the data set.
 */
export const DataSectionSchema = z
  .discriminatedUnion('source', [
    z.object({ source: z.literal('mnist-package'), limit: positiveInt.optional(), horizontalFlip }).strict(),
    z
      .object({
        source: z.literal('mnist-idx'),
        images: z.string().min(1),
        labels: z.string().optional(),
        horizontalFlip,
      })
      .strict(),
    z
      .object({
        source: z.literal('image-folder'),
        path: z.string().min(1),
        // Bounded, and checked against the preset (train-config's imageSizeIssue), before any image is read.
        imageSize: positiveInt,
        channels: z.union([z.literal(1), z.literal(3)]).default(3),
        resize: z.enum(RESIZE_RULES).default('cover'),
        horizontalFlip,
        onCorrupt: z.enum(CORRUPT_IMAGE_ACTIONS).default('skip'),
        limit: positiveInt.optional(),
      })
      .strict(),
    /** A folder `missing-u data prepare` wrote. */
    z.object({ source: z.literal('prepared'), path: z.string().min(1), horizontalFlip }).strict(),
  ])
  .default({ source: 'mnist-package' });

export type DataSection = z.output<typeof DataSectionSchema>;
export type DataSectionInput = z.input<typeof DataSectionSchema>;
