// One preset list: native code's (native/models/presets.cpp). The ModelPreset type and the config
// schema's enum both come from it; this checks the type spells exactly that list.
import { models, type ModelPreset } from '../lib';
import { TrainConfigSchema } from '../lib/config/train-config';
import { ModelSectionSchema } from '../lib/schemas/model-options';

// A Record over the type: the compiler refuses a missing or an extra name here.
const TYPED: Record<ModelPreset, true> = {
  'cunet-paper': true,
  'cunet-paper-noattn': true,
  cunet: true,
  'cunet-text': true,
  'cunet-noattn': true,
  'cunet-noresidual': true,
  'cunet-notime': true,
  'cunet-mnist': true,
  'unet-paper': true,
  'unet-ddpm': true,
  'unet-mnist': true,
};

describe('the preset list', () => {
  const native = models.presets().map((p) => p.name);

  it('is the native list, and the ModelPreset type spells exactly it', () => {
    expect(Object.keys(TYPED).sort()).toEqual([...native].sort());
  });

  it('is what the config schema accepts', () => {
    expect(ModelSectionSchema.shape.preset.options).toEqual(native);
    const base = { train: { steps: 1, batchSize: 1 } };
    for (const preset of native.filter((p) => p.endsWith('mnist'))) {
      expect(TrainConfigSchema.parse({ ...base, model: { preset } }).model.preset).toBe(preset);
    }
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
