// The one rule for the reverse process's settings a call leaves out (docs/guide.md, "The reverse
// process"): sample, denoise, Scheduler, eval, the CLI and configs' `sample` section all resolve here.

import type { Sampler, Spacing } from './names';

/** How the reverse process runs: the sampler, its step count, DDIM's noise and the seed. */
export interface ReverseSettings {
  /** 'ddim' or 'ddpm'. */
  sampler: Sampler;
  /** Reverse steps; fewer than T respaces the schedule by `spacing`. */
  steps: number;
  /** Which steps a respaced process visits (SPACINGS). */
  spacing: Spacing;
  /** DDIM noise: 0 is deterministic. */
  eta: number;
  /** Seeds x_T (or the noise of denoise) and the sampler's draws. */
  seed: number;
}

/**
 * What a call runs with where neither its options nor the denoiser say: DDIM (Song et al. 2020a),
 * 50 steps spaced as improved-diffusion does, eta 0 (deterministic), seed 0.
 */
export const DEFAULT_REVERSE: Readonly<ReverseSettings> = Object.freeze({
  sampler: 'ddim',
  steps: 50,
  spacing: 'improved',
  eta: 0,
  seed: 0,
});

/** A reverse-process setting as options give it: absent (or undefined) when left out. */
export type GivenReverse = { [K in keyof ReverseSettings]?: ReverseSettings[K] | undefined };

/**
 * The settings a call runs with: each from `given` when set, else from `own`, what the denoiser
 * carries (`Denoiser.sampling`: a checkpoint's `sample` section), else DEFAULT_REVERSE. Steps that
 * `given` leaves out are capped at `available`, the steps the reverse process can take (T for
 * sampling, the noise step + 1 for denoise); steps given are checked where they are used.
 */
export function resolveReverse(
  own: Partial<ReverseSettings> | undefined,
  given: GivenReverse,
  available?: number,
): ReverseSettings {
  const steps = own?.steps ?? DEFAULT_REVERSE.steps;
  const capped = available !== undefined && Number.isSafeInteger(available) && available >= 1;
  return {
    sampler: given.sampler ?? own?.sampler ?? DEFAULT_REVERSE.sampler,
    steps: given.steps ?? (capped ? Math.min(steps, available) : steps),
    spacing: given.spacing ?? own?.spacing ?? DEFAULT_REVERSE.spacing,
    eta: given.eta ?? own?.eta ?? DEFAULT_REVERSE.eta,
    seed: given.seed ?? own?.seed ?? DEFAULT_REVERSE.seed,
  };
}

/** What a denoiser carries of the reverse process (only checkpoints' built-in models carry any). */
export function samplingOf(denoiser: object): Partial<ReverseSettings> | undefined {
  return 'sampling' in denoiser ? (denoiser.sampling as Partial<ReverseSettings> | undefined) : undefined;
}
