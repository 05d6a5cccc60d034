import type { ScriptModule } from './jit';
import { elementCount, memory, requireMemory } from './memory';
import type { Denoiser } from './models';
import { native } from './native';
import { tensor, type Tensor } from './tensor';

/** What one batch of sampling may take beyond what the process already holds: the default batchSize's rule. */
export const SAMPLE_BATCH_BYTES = 512 * 1024 * 1024;

/**
 * Float32 copies of a batch the sampler holds beside the network's activations: x_t, the network's
 * output, the step's noise, x0-hat, x_{t-1}, x_T, its copy in JS and the batch read back for the output.
 */
const SAMPLER_COPIES = 8;

/**
 * Resident bytes per byte of a forward pass's measured peak: the pass's own peak, the freed blocks of
 * every size it allocated that the caching allocator keeps for reuse (1.8 to 2.2 times the peak on
 * cunet-mnist and unet-mnist), and as many again for the last, smaller batch's new sizes.
 */
const RESIDENT_PER_PEAK = 4;

/** Resident bytes per image byte when nothing can be measured (a CUDA device, the system allocator). */
const UNMEASURED_FACTOR = 1024;

const measured = new WeakMap<object, Map<string, number>>();

/** The peak bytes one forward pass of one image allocates, measured; null when it cannot be. */
async function forwardPeak(denoiser: Denoiser | ScriptModule, shape: readonly number[]): Promise<number | null> {
  if ('peakMemory' in denoiser) return denoiser.peakMemory([1, ...shape])?.inference ?? null;
  if (denoiser.device !== 'cpu' || memory.stats() === null) return null;
  using x = tensor(new Float32Array(elementCount(shape)), [1, ...shape]);
  using t = native.diffusionTimestepTensor(0, x) as Tensor;
  memory.resetPeak();
  const base = memory.stats()?.allocated ?? 0;
  (await denoiser.forward(x, t)).dispose();
  return (memory.stats()?.peakAllocated ?? base) - base;
}

/**
 * The resident bytes sampling takes per image of `shape` (C, H, W): RESIDENT_PER_PEAK times the peak of
 * one measured forward pass of a single image (an over-estimate per image, as it includes what does not
 * grow with the batch) plus the sampler's copies; UNMEASURED_FACTOR times the image's bytes when the
 * allocator cannot measure it. Deterministic for a model and shape; kept per denoiser and shape.
 */
export async function bytesPerSample(denoiser: Denoiser | ScriptModule, shape: readonly number[]): Promise<number> {
  const image = elementCount(shape) * 4;
  const key = shape.join(',');
  const known = measured.get(denoiser)?.get(key);
  if (known !== undefined) return known;
  requireMemory(
    image * SAMPLER_COPIES,
    `sampling one image of shape [${shape.join(', ')}]`,
    'give a smaller shape (C, H, W)',
  );
  const peak = await forwardPeak(denoiser, shape);
  const bytes = (peak === null ? image * UNMEASURED_FACTOR : peak * RESIDENT_PER_PEAK) + image * SAMPLER_COPIES;
  if (!measured.has(denoiser)) measured.set(denoiser, new Map());
  measured.get(denoiser)?.set(key, bytes);
  return bytes;
}

/**
 * The default batch size: as many images as fit SAMPLE_BATCH_BYTES by bytesPerSample, at least 1, all n
 * when they fit, else rounded down to a power of two (so that a slightly different measurement rarely
 * changes it: DDPM's images depend on the batch size).
 */
export async function defaultBatchSize(
  denoiser: Denoiser | ScriptModule,
  shape: readonly number[],
  n: number,
): Promise<number> {
  const fits = Math.floor(SAMPLE_BATCH_BYTES / (await bytesPerSample(denoiser, shape)));
  if (fits >= n) return n;
  return fits < 1 ? 1 : 2 ** Math.floor(Math.log2(fits));
}
