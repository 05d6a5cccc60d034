import type { z } from 'zod';

import { MissingUError } from './errors';
import { Generator } from './generator';
import { requireTensorMemory } from './memory';
import { native } from './native';
import { SchedulerSchema } from './schemas/diffusion-options';
import { parseOptions } from './schemas/parse-options';
import { resolveReverse, type ReverseSettings } from './schemas/reverse-defaults';
import type { Tensor } from './tensor';

/**
 * The step settings (sample's) and the generator's seed; left out, the reverse process's defaults
 * (docs/guide.md, "The reverse process"): DDIM, 50 steps (at most T), eta 0, seed 0.
 */
export type SchedulerOptions = z.input<typeof SchedulerSchema>;

export interface StepOptions {
  /** The noise a noisy step adds (x's shape); default: the scheduler's generator's next draw. */
  noise?: Tensor;
}

export interface StepOutput {
  /** x_{t_prev}: the next x of the loop. */
  prev: Tensor;
  /** The predicted clean image x_0 (clipped to [-1, 1] when `clip` is on). */
  x0: Tensor;
}

/**
 * The reverse process one step at a time, for custom loops (as diffusers' schedulers are): the same
 * native updates `sample` runs, so this loop gives `sample`'s images bit for bit with the same options:
 *
 * ```ts
 * using scheduler = new Scheduler({ sampler: 'ddim', steps: 50, seed: 0 });
 * let x = scheduler.initialNoise([n, ...shape]);
 * for (const t of scheduler.timesteps) {
 *   using steps = scheduler.timestep(t, x);
 *   using prediction = await model.forward(x, steps);
 *   const { prev, x0 } = scheduler.step(prediction, t, x);
 *   x0.dispose();
 *   x.dispose();
 *   x = prev;
 * }
 * ```
 */
export class Scheduler {
  /** T, the number of diffusion steps of the schedule. */
  readonly diffusionSteps: number;
  /** Every setting native code reads, parsed once with its default. */
  readonly #settings: Omit<z.output<typeof SchedulerSchema>, 'seed' | 'steps' | keyof ReverseSettings> &
    Pick<ReverseSettings, 'sampler' | 'spacing' | 'eta'>;
  readonly #generator: Generator;
  #timesteps: readonly number[] = [];
  #previous: readonly number[] = [];
  /** A multistep sampler's memory: the x_0 its last step predicted, at that step's t. */
  #history: { x0: Tensor; t: number } | undefined;

  constructor(opts: SchedulerOptions = {}) {
    const { seed, steps, ...settings } = parseOptions(SchedulerSchema, opts, 'Scheduler');
    const given = { sampler: settings.sampler, steps, spacing: settings.spacing, eta: settings.eta, seed };
    const reverse = resolveReverse(undefined, given, settings.diffusionSteps);
    if (reverse.sampler === 'ode') {
      throw new MissingUError(
        "Scheduler: the 'ode' sampler integrates the probability-flow ODE in one call and has no single steps; " +
          "use sample() for it, or 'ddim' / 'dpmpp-2m' here",
      );
    }
    this.#settings = { ...settings, sampler: reverse.sampler, spacing: reverse.spacing, eta: reverse.eta };
    this.diffusionSteps = settings.diffusionSteps;
    this.#generator = new Generator(reverse.seed);
    this.setTimesteps(reverse.steps);
  }

  /** The steps the loop visits, descending from T - 1 (or near it) to 0. */
  get timesteps(): readonly number[] {
    return this.#timesteps;
  }

  /** Spreads `count` steps over the T steps (the scheduler's `spacing`) and returns them, in loop order. */
  setTimesteps(count: number): readonly number[] {
    if (!(Number.isSafeInteger(count) && count >= 1)) {
      throw new MissingUError(`setTimesteps: count must be an integer >= 1, got ${count}`);
    }
    const { spacing, sampler } = this.#settings;
    const { timesteps, previous } = native.diffusionReverseSteps(this.diffusionSteps, count, spacing, sampler);
    this.#forget();
    this.#timesteps = Object.freeze(timesteps);
    this.#previous = Object.freeze(previous);
    return this.#timesteps;
  }

  /**
   * Where the update from `t` lands: the next step of the loop for 'improved' and 'official' spacing
   * and for multistep samplers, t - T // n for DDPM and DDIM on diffusers' spacings; -1 (the clean
   * image) after the last.
   */
  previousTimestep(t: number): number {
    const index = this.#timesteps.indexOf(t);
    if (index < 0) {
      throw new MissingUError(`step: t = ${t} is not one of the scheduler's timesteps (see scheduler.timesteps)`);
    }
    return this.#previous[index];
  }

  /** x_T of `shape`: the generator's next draw (its first, as in `sample`, when called first). */
  initialNoise(shape: readonly number[]): Tensor {
    requireTensorMemory(shape, 'initialNoise(shape)', 'give the shape of one batch, [B, C, H, W]');
    return this.#generator.randn(shape);
  }

  /** t as the loop gives it to the denoiser: an int64 tensor (B,) on x's device, B = x's batch. */
  timestep(t: number, x: Tensor): Tensor {
    return native.diffusionTimestepTensor(t, x) as Tensor;
  }

  /**
   * One reverse update from x = x_t with the network's `prediction` at (x_t, t). A multistep sampler
   * ('dpmpp-2m') also uses the x_0 predicted at the step before; the loop's first step starts afresh.
   */
  step(prediction: Tensor, t: number, x: Tensor, opts: StepOptions = {}): StepOutput {
    const tPrev = this.previousTimestep(t);
    if (t === this.#timesteps[0]) this.#forget();
    const history = this.#history;
    const out = native.diffusionStep(prediction, t, tPrev, x, opts.noise, this.#generator, this.#settings, history);
    this.#forget();
    if (out.history) this.#history = { x0: out.history as Tensor, t };
    return { prev: out.prev as Tensor, x0: out.x0 as Tensor };
  }

  #forget(): void {
    this.#history?.x0.dispose();
    this.#history = undefined;
  }

  dispose(): void {
    this.#forget();
    this.#generator.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
