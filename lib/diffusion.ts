import type { z } from 'zod';

import { runAbortable, throwIfAborted } from './abortable';
import type { DenoiseStepOf } from './denoise-step';
import type { Device } from './device';
import { resolveDiffusion } from './diffusion-settings';
import { MissingUError } from './errors';
import type { ScriptModule } from './jit';
import { elementCount, requireTensorMemory } from './memory';
import type { Denoiser } from './models';
import { native } from './native';
import {
  planBatches,
  runBatches,
  type ReverseProgress,
  type SampleBatch,
  type ValidatedSampleOptions,
} from './sample-batches';
import {
  DenoiseSchema,
  DiffusionSchema,
  LossWeightSchema,
  SampleSchema,
  type DiffusionOptions,
} from './schemas/diffusion-options';
import type { Schedule } from './schemas/names';
import { parseOptions } from './schemas/parse-options';
import { resolveReverse, samplingOf, type FlowOdeSettings } from './schemas/reverse-defaults';
import { tensor, type Tensor } from './tensor';

export type { ReverseProgress, SampleBatch } from './sample-batches';
export {
  DEFAULT_DIFFUSION,
  resolveDiffusion,
  type DiffusionOptions,
  type DiffusionSettings,
  type Objective,
  type Schedule,
} from './diffusion-settings';
export { SAMPLERS, SPACINGS, type Sampler, type Spacing } from './schemas/names';
export {
  DEFAULT_FLOW_ODE,
  DEFAULT_REVERSE,
  resolveReverse,
  type FlowOdeSettings,
  type GivenReverse,
  type OwnReverse,
  type ReverseSettings,
} from './schemas/reverse-defaults';
export type { StepSettings } from './schemas/diffusion-options';

/** Cancellation and progress, beside the options the schemas hold. */
interface ReverseCallbacks {
  signal?: AbortSignal;
  onProgress?: (progress: ReverseProgress) => void;
}

/** The reverse process's options, shared by sample and denoise (their schemas: lib/schemas/diffusion-options.ts). */
export type ReverseOptions = Omit<
  z.input<typeof SampleSchema>,
  'n' | 'seed' | 'shape' | 'xT' | 'cudaGraph' | 'batchSize'
> &
  ReverseCallbacks;

export type SampleOptions = z.input<typeof SampleSchema> & ReverseCallbacks;

export type DenoiseOptions = z.input<typeof DenoiseSchema> & ReverseCallbacks;

/** One reverse step of a denoise trace; T is the tensor type (the native layer gives its own). */
export type DenoiseStep<T = Tensor> = DenoiseStepOf<T>;

/** Frees the images a step kept (`trace: 'images'`). */
export function disposeStepImages(step: DenoiseStep): void {
  step.image?.dispose();
  step.predicted?.dispose();
}

export interface DenoiseTrace {
  noisy: Tensor;
  steps: DenoiseStep[];
}

type AnyDenoiser = Denoiser | ScriptModule;

/**
 * The options but the callbacks, validated once by `schema`, with its defaults, the diffusion settings
 * the denoiser was trained with and the reverse process (resolveReverse) where the options leave them
 * out: what native code reads.
 */
function nativeOptions(
  schema: typeof SampleSchema | typeof DenoiseSchema,
  denoiser: AnyDenoiser,
  opts: ReverseCallbacks,
  where: string,
) {
  const { signal, onProgress, ...rest } = opts;
  void signal;
  void onProgress;
  const options = parseOptions(schema, rest, where);
  if (options.steps !== undefined && !(Number.isSafeInteger(options.steps) && options.steps >= 1)) {
    throw new MissingUError(
      `${where}: steps must be an integer >= 1, got ${options.steps} (leave it out to run all T)`,
    );
  }
  const diffusion = resolveDiffusion(denoiser, options);
  const available = 'noiseStep' in options ? options.noiseStep + 1 : diffusion.diffusionSteps;
  const reverse = resolveReverse(samplingOf(denoiser), options, available);
  if (reverse.sampler === 'ode') checkFlowOde(reverse.ode, where);
  return { ...options, ...diffusion, ...reverse };
}

/** What native code cannot word as well: a fixed-step method needs its steps. */
function checkFlowOde(ode: FlowOdeSettings, where: string): void {
  if (ode.method !== 'dopri5' && ode.steps === undefined) {
    throw new MissingUError(
      `${where}: ode.method '${ode.method}' is a fixed-step method: give ode.steps (the solver's steps), or use 'dopri5' with rtol and atol`,
    );
  }
}

/** The schedule's betas and cumulative alphas (abar_t), computed in float64; defaults DiffusionSchema's. */
export function noiseSchedule(schedule?: Schedule, diffusionSteps?: number) {
  const settings = parseOptions(DiffusionSchema, { schedule, diffusionSteps }, 'noiseSchedule');
  return native.diffusionSchedule(settings.schedule, settings.diffusionSteps);
}

/** The forward process: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise, for steps t (B,). */
export function qSample(x0: Tensor, t: Tensor, noise: Tensor, opts: DiffusionOptions = {}): Tensor {
  return native.diffusionQSample(x0, t, noise, parseOptions(DiffusionSchema, opts, 'qSample')) as Tensor;
}

/** lossWeights's options: the diffusion settings and the loss weighting (LossWeightSchema). */
export type LossWeightOptions = z.input<typeof LossWeightSchema>;

/** What the network is trained to output for (x_0, noise) at steps t (B,): eps, x_0 or v = sqrt(abar) eps - sqrt(1 - abar) x_0. */
export function trainingTarget(x0: Tensor, noise: Tensor, t: Tensor, opts: DiffusionOptions = {}): Tensor {
  return native.diffusionTarget(x0, noise, t, parseOptions(DiffusionSchema, opts, 'trainingTarget')) as Tensor;
}

/** The per-sample loss weights training uses at steps t (B,), in float64. */
export function lossWeights(t: Tensor, opts: LossWeightOptions = {}): Float64Array {
  return native.diffusionLossWeights(t, parseOptions(LossWeightSchema, opts, 'lossWeights'));
}

/** Standard normal samples equal to torch.manual_seed(seed); torch.randn(shape) in PyTorch. */
export function randn(shape: number[], seed: number): Tensor {
  requireTensorMemory(shape, 'randn(shape)', 'draw fewer values at once (Generator continues a stream)');
  return native.randn(shape, seed) as Tensor;
}

/**
 * Generates `n` images with the reverse process, off the event loop, in batches of `batchSize` (default:
 * as many as fit about 512 MB, see sampleBatches). The objective, schedule and T are the denoiser's
 * (`denoiser.diffusion`) unless given; sampler, steps, eta and seed its checkpoint's (`denoiser.sampling`),
 * else DDIM, 50 steps, eta 0, seed 0 (docs/guide.md, "The reverse process").
 */
export async function sample(denoiser: AnyDenoiser, opts: SampleOptions): Promise<Tensor> {
  const { options, plan } = await planSample(denoiser, opts, true);
  const batches = runBatches(denoiser, options, plan, opts);
  if (plan.batches === 1) {
    const { value } = await batches.next();
    await batches.return(undefined);
    return (value as SampleBatch).images;
  }
  const per = elementCount(plan.shape);
  const all = new Float32Array(plan.n * per);
  let device: string | undefined;
  for await (const { first, images } of batches) {
    all.set(images.toFloat32Array(), first * per);
    device = images.device;
    images.dispose();
  }
  return tensor(all, [plan.n, ...plan.shape], { device: device as Device });
}

/**
 * sample one batch at a time, for sets larger than memory: each batch's images (B, C, H, W) as soon as
 * they are done, with the index of their first image; the caller disposes them. Batch b starts from
 * images [b * batchSize, ...) of the x_T that `seed` draws for the whole set and its sampler noise is
 * seeded seed + b. So one batch (n <= batchSize) is exactly the unbatched sample; deterministic DDIM
 * (eta 0) gives the same images at any batch size, to float rounding (the network's arithmetic depends
 * on the batch); DDPM's (and DDIM's with eta > 0) depend on the batch size.
 */
export async function* sampleBatches(denoiser: AnyDenoiser, opts: SampleOptions): AsyncGenerator<SampleBatch> {
  const { options, plan } = await planSample(denoiser, opts, false);
  yield* runBatches(denoiser, options, plan, opts);
}

async function planSample(denoiser: AnyDenoiser, opts: SampleOptions, holdAll: boolean) {
  const options = nativeOptions(SampleSchema, denoiser, opts, 'sample') as ValidatedSampleOptions;
  return { options, plan: await planBatches(denoiser, options, 'sample', { holdAll }) };
}

/**
 * The denoising study: noise `image` (B, C, H, W) to `noiseStep`, reverse to 0, trace every step.
 * The objective, schedule and T are the denoiser's (`denoiser.diffusion`) unless given; the reverse
 * process as sample's (at most noiseStep + 1 steps when they are left out).
 */
export async function denoise(denoiser: AnyDenoiser, image: Tensor, opts: DenoiseOptions): Promise<DenoiseTrace> {
  const options = nativeOptions(DenoiseSchema, denoiser, opts, 'denoise');
  if (options.sampler === 'ode') {
    throw new MissingUError(
      "denoise: the 'ode' sampler has no reverse steps to trace; use 'ddim', 'ddpm' or 'dpmpp-2m' (sample() runs it)",
    );
  }
  const result = await runAbortable(
    (onProgress, flag) => native.diffusionDenoise(denoiser, image, options, onProgress, flag),
    opts,
  );
  const steps = result.trace as DenoiseStep[];
  if (result.aborted) {
    result.noisy.dispose();
    steps.forEach(disposeStepImages);
    throwIfAborted(opts.signal, 'denoise');
  }
  return { noisy: result.noisy as Tensor, steps };
}
