import { deviceOrDefault } from './device';
import { resolveDiffusion, type DiffusionSettings } from './diffusion-settings';
import { native, type NativeFlopCount, type NativeModel, type NativePreset } from './native';
import { parseOptions } from './schemas/parse-options';
import { ModelCreateSchema, type ModelOptions, type ModelPreset } from './schemas/model-options';
import type { SampleSection } from './schemas/sample-section';
import type { Tensor } from './tensor';

export type { ModelOptions, ModelPreset, ModelSection } from './schemas/model-options';
export type { SampleSection } from './schemas/sample-section';

export type FlopCount = NativeFlopCount;

/** A built-in denoiser: maps (x_t, t) to a tensor of x_t's shape. */
export interface Denoiser extends NativeModel {
  /**
   * How the model was trained (objective, schedule, T), when known: set by train(), loadCheckpoint
   * and importOfficial, or by models.create's `diffusion`. sample, denoise and eval use it unless
   * told otherwise. Assignable.
   */
  diffusion?: DiffusionSettings;
  /**
   * How the model is sampled (sampler, steps, eta, seed, n), when known: loadCheckpoint sets it from
   * the config's `sample` section. sample, denoise and eval take what their options leave out from it
   * (docs/guide.md, "The reverse process"). Assignable.
   */
  sampling?: SampleSection;
  /** Runs on a native thread without gradients. x: (B, C, H, W); t: (B,) diffusion steps. */
  forward(x: Tensor, t: Tensor): Promise<Tensor>;
  /** Cost of one forward pass on inputs of `shape` = [batch, channels, height, width]. */
  flops(shape: number[]): FlopCount;
  [Symbol.dispose](): void;
}

export const models = {
  /**
   * A new model from a preset name or options (ModelCreateSchema: unknown options are errors that name
   * them). norm, activation, coupling and ode change a cU-Net preset's layers.
   */
  create(presetOrOptions: ModelPreset | ModelOptions): Denoiser {
    const input = typeof presetOrOptions === 'string' ? { preset: presetOrOptions } : presetOrOptions;
    const { diffusion, ...options } = parseOptions(ModelCreateSchema, input, 'models.create');
    const model = native.modelsCreate({
      ...options,
      device: deviceOrDefault(options.device, 'models.create'),
    }) as Denoiser;
    if (diffusion) model.diffusion = resolveDiffusion(model, diffusion);
    return model;
  },

  /**
   * The presets, from native code (the one list): default image size and channels, the image sides they
   * take, and their family ('cunet' presets take norm, activation, coupling and ode).
   */
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
