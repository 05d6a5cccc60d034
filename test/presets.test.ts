// One preset list: native code's (native/models/presets.cpp). lib/schemas/model-presets.ts is generated from
// it (scripts/generate-presets.js); the ModelPreset type and the config schema's enum both come from that.
import { models } from '../lib';
import { TrainConfigSchema } from '../lib/config/train-config';
import { MODEL_PRESETS } from '../lib/schemas/model-presets';
import { ModelSectionSchema } from '../lib/schemas/model-options';

describe('the preset list', () => {
  const native = models.presets().map((p) => p.name);

  it('is the native list: rerun scripts/generate-presets.js when this fails', () => {
    expect([...MODEL_PRESETS]).toEqual(native);
  });

  it('is what the config schema accepts', () => {
    expect(ModelSectionSchema.shape.preset.options).toEqual(native);
    const base = { train: { steps: 1, batchSize: 1 } };
    for (const preset of native.filter((p) => p.endsWith('mnist'))) {
      expect(TrainConfigSchema.parse({ ...base, model: { preset } }).model.preset).toBe(preset);
    }
  });

  it('refuses a width the U-Nets’ GroupNorms cannot split, before building anything', () => {
    expect(() => models.create({ preset: 'unet-mnist', width: 12 })).toThrow(
      "width 12 does not suit model preset 'unet-mnist': its GroupNorms split the channels into groups, so width must be a multiple of 8",
    );
    using ok = models.create({ preset: 'unet-mnist', width: 24, seed: 0 });
    expect(ok.width).toBe(24);
  });

  it('has the official cU-Net layout at MNIST size beside ours, for a fair comparison', () => {
    using official = models.create({ preset: 'cunet-paper-mnist', seed: 0 });
    using ours = models.create({ preset: 'cunet-mnist', seed: 0 });
    expect([official.imageSize, official.channels]).toEqual([28, 1]);
    // t-blind and first order: no time MLPs, and ODE functions that map [h; v] to the whole state.
    expect(official.parameters().some((p) => p.name.includes('odefunc.mlp'))).toBe(false);
    expect(ours.parameters().some((p) => p.name.includes('odefunc.mlp'))).toBe(true);
  });

  it('tells the cU-Nets, which take layer options, from the U-Nets', () => {
    const families = Object.fromEntries(models.presets().map((p) => [p.name, p.family]));
    expect(families['cunet-text']).toBe('cunet');
    expect(families['unet-mnist']).toBe('unet');
    expect(() => models.create({ preset: 'unet-mnist', norm: 'group' })).toThrow(
      "model preset 'unet-mnist' is not a cU-Net: norm, activation, coupling and ode apply to the cunet presets only",
    );
  });
});
