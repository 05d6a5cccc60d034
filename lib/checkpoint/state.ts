import { z } from 'zod';

import { MissingUError } from '../errors';

/** state.json: where a run stands. */
export interface CheckpointState {
  /** CHECKPOINT_FORMAT: marks the folder as a missing-u checkpoint (added on save). */
  format?: string;
  step: number;
  imageSize: number;
  channels: number;
  seed: number;
  aborted: boolean;
  lastLoss: number | null;
  savedAt: string;
  /** The trainer's generator state (base64 of torch's CPU generator state), for --resume. */
  generator?: string;
}

const count = z.number().int().nonnegative();

// Unknown fields pass: a later version may add some, and reading them here costs nothing.
const StateSchema = z
  .object({
    format: z.string().optional(),
    step: count,
    imageSize: count.positive(),
    channels: count.positive(),
    seed: z.number().int(),
    aborted: z.boolean(),
    lastLoss: z.number().nullable(),
    savedAt: z.string(),
    generator: z
      .string()
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'is not base64 text')
      .refine((text) => text.length % 4 === 0, 'is not base64 text (its length is not a multiple of 4)')
      .optional(),
  })
  .passthrough();

/** Validates a parsed state.json, naming `file` and the first field that is wrong. */
export function parseCheckpointState(value: unknown, file: string): CheckpointState {
  const parsed = StateSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.path.join('.');
  const given =
    value !== null && typeof value === 'object' && field in value
      ? JSON.stringify((value as Record<string, unknown>)[field])
      : undefined;
  const what = field ? `field '${field}'${given === undefined ? '' : ` is ${given.slice(0, 60)}:`}` : 'it';
  throw new MissingUError(
    `checkpoint file ${file} is invalid (corrupt checkpoint?): ${what} ${issue.message.toLowerCase()}`,
    { code: 'format' },
  );
}
