import type { Command } from 'commander';

import { checkDiffusionOptions, type DiffusionOptions } from '../diffusion-settings';
import { positiveCount } from './parse';

export interface DiffusionFlags {
  objective?: string;
  schedule?: string;
  diffusionSteps?: number;
}

/** --objective, --schedule, --diffusion-steps: how the denoiser was trained, when it does not say. */
export function diffusionFlags(command: Command): Command {
  return command
    .option('--objective <name>', 'what the network predicts: eps, x0 or v (default: the checkpoint’s, else eps)')
    .option('--schedule <name>', 'noise schedule: linear, cosine or sigmoid (default: the checkpoint’s, else linear)')
    .option(
      '--diffusion-steps <T>',
      'T, the training diffusion steps (default: the checkpoint’s, else 1000)',
      positiveCount('--diffusion-steps'),
    );
}

/** The flags given, checked (a MissingUError names a bad value). */
export function diffusionFromFlags(flags: DiffusionFlags): DiffusionOptions {
  const given = Object.fromEntries(
    Object.entries({
      objective: flags.objective,
      schedule: flags.schedule,
      diffusionSteps: flags.diffusionSteps,
    }).filter(([, v]) => v !== undefined),
  );
  return checkDiffusionOptions(given, 'the diffusion flags');
}
