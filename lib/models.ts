import { type Device, deviceOrDefault } from './device';
import type { DiffusionOptions, DiffusionSettings } from './diffusion';
import { native, type NativeFlopCount, type NativeModel, type NativePreset } from './native';
import { resolveDiffusion } from './diffusion-settings';
import type { Tensor } from './tensor';

export type ModelPreset =
  | 'cunet-paper'
  | 'cunet-paper-noattn'
  | 'cunet'
  | 'cunet-noattn'
  | 'cunet-noresidual'
  | 'cunet-notime'
  | 'cunet-mnist'
  | 'unet-paper'
  | 'unet-ddpm'
  | 'unet-mnist';

export interface ModelOptions {
  preset: ModelPreset;
  /** Image side; defaults to the preset's (64 for the paper models, 32 for unet-ddpm, 28 for MNIST). */
  imageSize?: number;
  /** Image channels; defaults to the preset's. */
  channels?: number;
  /**
   * The base channel count: nf of a cU-Net (16 in cunet-paper), dim of a lucidrains U-Net (64 in
   * unet-paper), ch of unet-ddpm (128); defaults to the preset's. Smaller widths make the same
   * architecture smaller (as the official classes' num_filters / dim do).
   */
  width?: number;
  /**
   * How the model is (to be) trained: sample, denoise and eval use it unless told otherwise.
   * Unset: they assume the defaults (linear, 1000, eps) unless given.
   */
  diffusion?: DiffusionOptions;
  device?: Device;
  /** Seeds the weight initialisation (PyTorch's generator). */
  seed?: number;
}

export type FlopCount = NativeFlopCount;

/** A built-in denoiser: maps (x_t, t) to a tensor of x_t's shape. */
export interface Denoiser extends NativeModel {
  /**
   * How the model was trained (objective, schedule, T), when known: set by train(), loadCheckpoint
   * and importOfficial, or by models.create's `diffusion`. sample, denoise and eval use it unless
   * told otherwise. Assignable.
   */
  diffusion?: DiffusionSettings;
  /** Runs on a native thread without gradients. x: (B, C, H, W); t: (B,) diffusion steps. */
  forward(x: Tensor, t: Tensor): Promise<Tensor>;
  /** Cost of one forward pass on inputs of `shape` = [batch, channels, height, width]. */
  flops(shape: number[]): FlopCount;
  [Symbol.dispose](): void;
}

export const models = {
  /** A new model from a preset name or options. Unknown presets name the known ones. */
  create(presetOrOptions: ModelPreset | ModelOptions): Denoiser {
    const options = typeof presetOrOptions === 'string' ? { preset: presetOrOptions } : presetOrOptions;
    const { preset, imageSize, channels, width, seed } = options;
    const device = deviceOrDefault(options.device, 'models.create');
    const model = native.modelsCreate({ preset, imageSize, channels, width, seed, device }) as Denoiser;
    if (options.diffusion) model.diffusion = resolveDiffusion(model, options.diffusion);
    return model;
  },

  /** The presets, with their default image size and channels and the image sides they take. */
  presets(): NativePreset[] {
    return native.modelsPresets();
  },

  /**
   * Why `preset` cannot take square images of side `imageSize` (too large, too small for its levels,
   * or not a multiple of its down-sampling), or null when it can: the check models.create makes.
   */
  checkImageSize(preset: ModelPreset, imageSize: number): string | null {
    if (!Number.isSafeInteger(imageSize) || imageSize < 1) {
      return `imageSize ${imageSize} does not suit model preset '${preset}': it must be a positive integer`;
    }
    return native.modelsCheckImageSize(preset, imageSize);
  },
};
