// The one rule for the reverse process's settings a call leaves out (docs/guide.md, "The reverse
// process"): sample, denoise, Scheduler, eval, the CLI and configs' `sample` section all resolve here.

import type { OdeMethod, Sampler, Spacing } from './names';

/**
 * The 'ode' sampler's solver: the probability-flow ODE integrated from the start step's time down to
 * `epsilon` by one of the ODE engine's methods (docs/guide.md, "The ODE sampler").
 */
export interface FlowOdeSettings {
  /** 'dopri5' (adaptive, by rtol and atol) or a fixed-step method ('euler', 'midpoint', 'rk4', 'rk4-3/8') with `steps`. */
  method: OdeMethod;
  /** dopri5's relative and absolute tolerance. */
  rtol: number;
  atol: number;
  /** A fixed-step method's equal steps (each costs the method's stages in network evaluations). */
  steps?: number;
  /** Where the integration stops, in the schedule's continuous time (step n at (n + 1) / T). */
  epsilon: number;
  /** dopri5: accepted and rejected steps before it gives up. */
  maxSteps: number;
}

/** dopri5 at rtol = atol = 1e-3 down to t = 1e-3 (the first step of T = 1000). */
export const DEFAULT_FLOW_ODE: Readonly<FlowOdeSettings> = Object.freeze({
  method: 'dopri5',
  rtol: 1e-3,
  atol: 1e-3,
  epsilon: 1e-3,
  maxSteps: 10000,
});

/** How the reverse process runs: the sampler, its step count, DDIM's noise and the seed. */
export interface ReverseSettings {
  /** 'ddim', 'ddpm', 'dpmpp-2m' or 'ode' (SAMPLERS). */
  sampler: Sampler;
  /** Reverse steps; fewer than T respaces the schedule by `spacing`. */
  steps: number;
  /** Which steps a respaced process visits (SPACINGS). */
  spacing: Spacing;
  /** DDIM noise: 0 is deterministic. */
  eta: number;
  /** Seeds x_T (or the noise of denoise) and the sampler's draws. */
  seed: number;
  /** The 'ode' sampler's solver (steps and spacing do not apply to it). */
  ode: FlowOdeSettings;
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
  ode: DEFAULT_FLOW_ODE,
});

/** A reverse-process setting as options give it: absent (or undefined) when left out. */
export type GivenReverse = { [K in Exclude<keyof ReverseSettings, 'ode'>]?: ReverseSettings[K] | undefined } & {
  ode?: Partial<FlowOdeSettings> | undefined;
};

/** What a denoiser carries of the reverse process: any subset, the ODE solver's too. */
export type OwnReverse = Partial<Omit<ReverseSettings, 'ode'>> & { ode?: Partial<FlowOdeSettings> };

function given<T extends object>(settings: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(settings ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The settings a call runs with: each from `given` when set, else from `own`, what the denoiser
 * carries (`Denoiser.sampling`: a checkpoint's `sample` section), else DEFAULT_REVERSE. Steps that
 * `given` leaves out are capped at `available`, the steps the reverse process can take (T for
 * sampling, the noise step + 1 for denoise); steps given are checked where they are used.
 */
export function resolveReverse(
  own: OwnReverse | undefined,
  options: GivenReverse,
  available?: number,
): ReverseSettings {
  const steps = own?.steps ?? DEFAULT_REVERSE.steps;
  const capped = available !== undefined && Number.isSafeInteger(available) && available >= 1;
  return {
    sampler: options.sampler ?? own?.sampler ?? DEFAULT_REVERSE.sampler,
    steps: options.steps ?? (capped ? Math.min(steps, available) : steps),
    spacing: options.spacing ?? own?.spacing ?? DEFAULT_REVERSE.spacing,
    eta: options.eta ?? own?.eta ?? DEFAULT_REVERSE.eta,
    seed: options.seed ?? own?.seed ?? DEFAULT_REVERSE.seed,
    ode: { ...DEFAULT_FLOW_ODE, ...given(own?.ode), ...given(options.ode) },
  };
}

/** What a denoiser carries of the reverse process (only checkpoints' built-in models carry any). */
export function samplingOf(denoiser: object): OwnReverse | undefined {
  return 'sampling' in denoiser ? (denoiser.sampling as OwnReverse | undefined) : undefined;
}
