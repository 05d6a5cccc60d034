// How a call resolves the diffusion settings a network was trained with.

import { DEFAULT_DIFFUSION, type DiffusionOptions, type DiffusionSettings } from './schemas/diffusion-options';

export { DEFAULT_DIFFUSION, type DiffusionOptions, type DiffusionSettings } from './schemas/diffusion-options';
export type { Objective, Schedule } from './schemas/names';

/**
 * The settings a call runs with: each from `opts` when given, else from the denoiser (how it was
 * trained), else the default (DiffusionSchema's: linear, 1000, eps).
 */
export function resolveDiffusion(
  denoiser: { diffusion?: DiffusionOptions },
  opts: DiffusionOptions = {},
): DiffusionSettings {
  const own = denoiser.diffusion ?? {};
  return {
    schedule: opts.schedule ?? own.schedule ?? DEFAULT_DIFFUSION.schedule,
    diffusionSteps: opts.diffusionSteps ?? own.diffusionSteps ?? DEFAULT_DIFFUSION.diffusionSteps,
    objective: opts.objective ?? own.objective ?? DEFAULT_DIFFUSION.objective,
  };
}
