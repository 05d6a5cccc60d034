import { sample, type DiffusionOptions } from '../diffusion';
import { MissingUError } from '../errors';
import type { ScriptModule } from '../jit';
import type { Denoiser } from '../models';
import type { Precision } from '../schemas/precision';

/** A denoiser to sample, as fidSteps takes it. */
export interface ProbedDenoiser {
  name: string;
  denoiser: Denoiser | ScriptModule;
  /** [C, H, W]: required for a TorchScript module; a built-in model's own otherwise. */
  shape?: [number, number, number];
  diffusion?: DiffusionOptions;
  /** Where it came from, named in the message. */
  checkpoint?: string | null;
}

/** The image shape [C, H, W] a denoiser is sampled at: the one given, else a built-in model's own. */
export function denoiserImageShape(
  { name, denoiser, shape }: ProbedDenoiser,
  caller: string,
): [number, number, number] {
  if (shape) return shape;
  const model = denoiser as Partial<Denoiser>;
  if (model.channels && model.imageSize) return [model.channels, model.imageSize, model.imageSize];
  throw new MissingUError(`${caller}: denoiser '${name}' is a TorchScript module: give its shape [C, H, W]`);
}

/**
 * One reverse step of one image at each denoiser's shape, before any real work: a TorchScript module
 * made for another image size then fails at once, with a MissingUError naming it, the shape given and
 * libtorch's account of the shape it fails on, rather than after every earlier row was sampled.
 */
export async function probeDenoisers(
  denoisers: ProbedDenoiser[],
  opts: { caller: string; precision?: Precision; signal?: AbortSignal },
): Promise<void> {
  for (const entry of denoisers) {
    const shape = denoiserImageShape(entry, opts.caller);
    let images;
    try {
      images = await sample(entry.denoiser, {
        ...entry.diffusion,
        n: 1,
        shape,
        steps: 1,
        precision: opts.precision,
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof MissingUError && err.code === 'aborted') throw err;
      const why = String((err as Error).message ?? err).split('\n')[0];
      const from = entry.checkpoint ? ` (${entry.checkpoint})` : '';
      throw new MissingUError(
        `${opts.caller}: denoiser '${entry.name}'${from} fails one forward at [1, ${shape.join(', ')}], ` +
          `the image shape [${shape.join(', ')}] it was given: ${why}`,
        { code: 'shape', cause: err },
      );
    }
    images.dispose();
  }
}
