import { runAbortable, throwIfAborted } from './abortable';
import { MissingUError } from './errors';
import type { ScriptModule } from './jit';
import { elementCount, requireMemory } from './memory';
import type { Denoiser } from './models';
import { native } from './native';
import { NormalStream } from './normal-stream';
import { defaultBatchSize } from './sample-memory';
import { tensor, type Tensor } from './tensor';

/** One batch of a batched sample: images [first, first + B) of the set. */
export interface SampleBatch {
  /** The index of the batch's first image in the whole set. */
  first: number;
  /** (B, C, H, W); the caller disposes them. */
  images: Tensor;
}

/** sample's options as its schema gives them (every default in), with the denoiser's diffusion settings. */
export interface ValidatedSampleOptions {
  n: number;
  seed: number;
  shape?: readonly number[];
  xT?: Tensor;
  batchSize?: number;
  [key: string]: unknown;
}

export interface BatchPlan {
  n: number;
  /** [C, H, W]. */
  shape: number[];
  batchSize: number;
  batches: number;
}

/**
 * How far a reverse process has come: `step` of `total` (over every batch of a sample), and `nfe`, the
 * network evaluations per image of the batch in progress. The 'ode' sampler has no step count: its
 * step and total count the share of its time interval integrated, in thousandths per batch.
 */
export interface ReverseProgress {
  step: number;
  total: number;
  nfe: number;
}

interface Callbacks {
  signal?: AbortSignal;
  onProgress?: (progress: ReverseProgress) => void;
}

function positiveInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

/** The image shape sampled: the `shape` option, else a built-in model's own. */
function imageShape(denoiser: Denoiser | ScriptModule, given: readonly number[] | undefined, where: string): number[] {
  if (given) {
    if (given.length !== 3 || !given.every(positiveInteger)) {
      throw new MissingUError(`${where}: shape must be [C, H, W] of integers >= 1, got [${given.join(', ')}]`);
    }
    return [...given];
  }
  if ('imageSize' in denoiser) return [denoiser.channels, denoiser.imageSize, denoiser.imageSize];
  throw new MissingUError(`${where}: give shape [C, H, W] for a TorchScript denoiser`);
}

/**
 * How many images, of which shape, in batches of how many: checked before anything is allocated, the
 * whole set's memory too when the caller will `holdAll` of it.
 */
export async function planBatches(
  denoiser: Denoiser | ScriptModule,
  options: ValidatedSampleOptions,
  where: string,
  { holdAll }: { holdAll: boolean },
): Promise<BatchPlan> {
  const { n, batchSize } = options;
  // Worded as native code words them (it checks them too, where one batch is all).
  if (!positiveInteger(n)) throw new MissingUError(`${where}: n must be an integer in [1, 2^53 - 1] (got ${n})`);
  if (!(Number.isSafeInteger(options.seed) && options.seed >= 0)) {
    throw new MissingUError(`${where}: seed must be an integer in [0, 2^53 - 1] (got ${options.seed})`);
  }
  if (batchSize !== undefined && !positiveInteger(batchSize)) {
    throw new MissingUError(
      `${where}: batchSize must be an integer >= 1, got ${batchSize} (leave it out to fit memory)`,
    );
  }
  const shape = imageShape(denoiser, options.shape, where);
  if (options.xT && options.xT.shape.join() !== [n, ...shape].join()) {
    throw new MissingUError(`${where}: xT has shape [${options.xT.shape.join(', ')}], expected [${[n, ...shape]}]`);
  }
  if (holdAll) {
    requireMemory(
      n * elementCount(shape) * 4,
      `${where}: ${n} images of shape [${shape.join(', ')}]`,
      'lower n, or take them batch by batch with sampleBatches',
    );
  }
  const size = Math.min(n, batchSize ?? (await defaultBatchSize(denoiser, shape, n)));
  const batches = Math.ceil(n / size);
  if (!Number.isSafeInteger(options.seed + batches - 1)) {
    throw new MissingUError(`${where}: batch b is seeded seed + b, which passes 2^53 - 1: give a smaller seed`);
  }
  return { n, shape, batchSize: size, batches };
}

/** One native sampling call, its progress counted over all `batches` batches. */
async function sampleOnce(
  denoiser: Denoiser | ScriptModule,
  options: object,
  callbacks: Callbacks,
  batch: number,
  batches: number,
): Promise<Tensor> {
  const { onProgress } = callbacks;
  const result = await runAbortable((progress, flag) => native.diffusionSample(denoiser, options, progress, flag), {
    signal: callbacks.signal,
    onProgress: onProgress
      ? (p: ReverseProgress) => onProgress({ step: batch * p.total + p.step, total: batches * p.total, nfe: p.nfe })
      : undefined,
  });
  if (result.aborted) {
    result.samples.dispose();
    throwIfAborted(callbacks.signal, 'sample');
  }
  return result.samples as Tensor;
}

/**
 * The batches of `plan`, one native call each. One batch is sample as it always was. With more, x_T is
 * still the seed's one draw for the whole set (torch.randn([n, C, H, W])), read in slices, and batch b's
 * sampler noise is seeded seed + b (as eval fid-steps seeds its batches).
 */
export async function* runBatches(
  denoiser: Denoiser | ScriptModule,
  options: ValidatedSampleOptions,
  plan: BatchPlan,
  callbacks: Callbacks,
): AsyncGenerator<SampleBatch> {
  const { batchSize, xT, seed, ...rest } = options;
  void batchSize;
  if (plan.batches === 1) {
    yield { first: 0, images: await sampleOnce(denoiser, { ...rest, seed, ...(xT ? { xT } : {}) }, callbacks, 0, 1) };
    return;
  }
  const per = elementCount(plan.shape);
  const given = xT?.toFloat32Array();
  using stream = given ? undefined : new NormalStream(seed, plan.n * per);
  for (let b = 0; b < plan.batches; b++) {
    const first = b * plan.batchSize;
    const count = Math.min(plan.batchSize, plan.n - first);
    const values = given
      ? given.subarray(first * per, (first + count) * per)
      : (stream as NormalStream).take(count * per);
    using start = tensor(values, [count, ...plan.shape]);
    const batch = { ...rest, n: count, seed: seed + b, xT: start };
    yield { first, images: await sampleOnce(denoiser, batch, callbacks, b, plan.batches) };
  }
}
