import type { StepSettings } from './diffusion';
import { MissingUError } from './errors';
import { Generator } from './generator';
import { requireTensorMemory } from './memory';
import { native } from './native';
import type { Tensor } from './tensor';

export interface SchedulerOptions extends StepSettings {
  /** Seeds the scheduler's generator as `sample`'s seed does: its first draw is x_T (default 0). */
  seed?: number;
}

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
  readonly #settings: StepSettings;
  readonly #generator: Generator;
  #timesteps: readonly number[] = [];

  constructor(opts: SchedulerOptions = {}) {
    const { seed, steps, ...given } = opts;
    // Native code requires every setting it reads: the defaults are sample's (DiffusionSchema's).
    this.#settings = {
      schedule: 'linear',
      diffusionSteps: 1000,
      objective: 'eps',
      sampler: 'ddpm',
      eta: 0,
      variance: 'fixedlarge',
      clip: true,
      ...given,
    };
    this.diffusionSteps = opts.diffusionSteps ?? 1000;
    this.#generator = new Generator(seed ?? 0);
    this.setTimesteps(steps ?? this.diffusionSteps);
  }

  /** The steps the loop visits, descending from T - 1 (or near it) to 0. */
  get timesteps(): readonly number[] {
    return this.#timesteps;
  }

  /** Spreads `count` steps over the T steps (improved-diffusion's respacing rule) and returns them, descending. */
  setTimesteps(count: number): readonly number[] {
    if (!(Number.isSafeInteger(count) && count >= 1)) {
      throw new MissingUError(`setTimesteps: count must be an integer >= 1, got ${count}`);
    }
    this.#timesteps = Object.freeze(native.diffusionTimesteps(this.diffusionSteps, count).reverse());
    return this.#timesteps;
  }

  /** The step after `t` in this loop, or -1 after the last (t = 0). */
  previousTimestep(t: number): number {
    const index = this.#timesteps.indexOf(t);
    if (index < 0) {
      throw new MissingUError(`step: t = ${t} is not one of the scheduler's timesteps (see scheduler.timesteps)`);
    }
    return this.#timesteps[index + 1] ?? -1;
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

  /** One reverse update from x = x_t with the network's `prediction` at (x_t, t). */
  step(prediction: Tensor, t: number, x: Tensor, opts: StepOptions = {}): StepOutput {
    const tPrev = this.previousTimestep(t);
    const out = native.diffusionStep(prediction, t, tPrev, x, opts.noise, this.#generator, this.#settings);
    return { prev: out.prev as Tensor, x0: out.x0 as Tensor };
  }

  dispose(): void {
    this.#generator.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
