// The diffusion settings a network is trained with, and how a call resolves them.

import { MissingUError } from './errors';
import { OBJECTIVES, SCHEDULES, type Objective, type Schedule } from './schemas/names';

export type { Objective, Schedule } from './schemas/names';

/**
 * How the network was trained; must match between training and sampling. A denoiser that knows
 * (`denoiser.diffusion`: models from train() and loadCheckpoint, TorchScript files with flags or a
 * .diffusion.json beside them) supplies what the options leave out.
 */
export interface DiffusionOptions {
  /** Noise schedule (default 'linear', 1e-4..0.02). */
  schedule?: Schedule;
  /** T, the number of diffusion steps (default 1000). */
  diffusionSteps?: number;
  /** What the network predicts (default 'eps'). */
  objective?: Objective;
}

/** Every diffusion setting, as a denoiser carries them. */
export type DiffusionSettings = Required<DiffusionOptions>;

/** What sampling assumes when neither the options nor the denoiser say. */
export const DEFAULT_DIFFUSION: DiffusionSettings = { schedule: 'linear', diffusionSteps: 1000, objective: 'eps' };

/**
 * The settings a call runs with: each from `opts` when given, else from the denoiser (how it was
 * trained), else the default (linear, 1000, eps).
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

/**
 * Checks diffusion settings read from a file or flags (`source` names where): known keys only, each
 * of its allowed values; a MissingUError (code 'option') names the first that is not.
 */
export function checkDiffusionOptions(value: unknown, source: string): DiffusionOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MissingUError(`${source} must be an object such as {"objective": "v", "schedule": "cosine"}`);
  }
  const out: DiffusionOptions = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'schedule' && (SCHEDULES as readonly unknown[]).includes(v)) out.schedule = v as Schedule;
    else if (key === 'objective' && (OBJECTIVES as readonly unknown[]).includes(v)) out.objective = v as Objective;
    else if (key === 'diffusionSteps' && Number.isSafeInteger(v) && (v as number) >= 2 && (v as number) <= 100000) {
      out.diffusionSteps = v as number;
    } else {
      const allowed: Record<string, string> = {
        schedule: SCHEDULES.join(', '),
        objective: OBJECTIVES.join(', '),
        diffusionSteps: 'an integer in [2, 100000]',
      };
      throw new MissingUError(
        key in allowed
          ? `${source}: ${key} is ${JSON.stringify(v)}; use ${allowed[key]}`
          : `${source}: unknown key '${key}' (use schedule, objective, diffusionSteps)`,
      );
    }
  }
  return out;
}
