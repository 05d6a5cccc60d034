import type { Command } from 'commander';

import { DEFAULT_DIFFUSION, parseDiffusionSettings, type DiffusionOptions } from '../schemas/diffusion-options';
import { OBJECTIVES, SCHEDULES } from '../schemas/names';
import { alternatives, positiveCount } from './parse';

export interface DiffusionFlags {
  objective?: string;
  schedule?: string;
  diffusionSteps?: number;
}

/** --objective, --schedule, --diffusion-steps: how the denoiser was trained, when it does not say. */
export function diffusionFlags(command: Command): Command {
  const { objective, schedule, diffusionSteps } = DEFAULT_DIFFUSION;
  return command
    .option(
      '--objective <name>',
      `what the network predicts: ${alternatives(OBJECTIVES)} (default: the checkpoint’s, else ${objective})`,
    )
    .option(
      '--schedule <name>',
      `noise schedule: ${alternatives(SCHEDULES)} (default: the checkpoint’s, else ${schedule})`,
    )
    .option(
      '--diffusion-steps <T>',
      `T, the training diffusion steps (default: the checkpoint’s, else ${diffusionSteps})`,
      positiveCount('--diffusion-steps'),
    );
}

/** The flags given, checked (a MissingUError names a bad value). */
export function diffusionFromFlags(flags: DiffusionFlags): DiffusionOptions {
  const { objective, schedule, diffusionSteps } = flags;
  return parseDiffusionSettings({ objective, schedule, diffusionSteps }, 'the diffusion flags');
}
