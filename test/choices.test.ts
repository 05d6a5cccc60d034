// One list per concept: each list in lib/schemas/names.ts is the list native code parses (its name table,
// napi/choices_binding.cpp), in the same order; the preset list is generated from native's
// (scripts/generate-presets.js).
import { native } from '../lib/native';
import { MODEL_PRESETS } from '../lib/schemas/model-presets';
import {
  ACTIVATIONS,
  COUPLINGS,
  DDPM_VARIANCES,
  DTYPES,
  INPUT_RANGES,
  NORMS,
  OBJECTIVES,
  ODE_METHODS,
  PRECISIONS,
  SAMPLERS,
  SCHEDULES,
  SPACINGS,
  TRACE_KINDS,
} from '../lib/schemas/names';

const LISTS: Record<keyof ReturnType<typeof native.choices>, readonly string[]> = {
  samplers: SAMPLERS,
  spacings: SPACINGS,
  schedules: SCHEDULES,
  objectives: OBJECTIVES,
  precisions: PRECISIONS,
  norms: NORMS,
  activations: ACTIVATIONS,
  couplings: COUPLINGS,
  odeMethods: ODE_METHODS,
  dtypes: DTYPES,
  ddpmVariances: DDPM_VARIANCES,
  traceKinds: TRACE_KINDS,
  inputRanges: INPUT_RANGES,
};

describe('the named choices', () => {
  const choices = native.choices();

  it('are the lists native code holds, no more', () => {
    expect(Object.keys(choices).sort()).toEqual(Object.keys(LISTS).sort());
  });

  it.each(Object.entries(LISTS))('%s are native code’s, in its order', (key, list) => {
    expect([...list]).toEqual(choices[key as keyof typeof LISTS]);
  });

  it('include the presets, as scripts/generate-presets.js wrote them from native code', () => {
    expect([...MODEL_PRESETS]).toEqual(native.modelsPresets().map((preset) => preset.name));
  });

  it('name the allowed values in native errors, from the same table', () => {
    expect(() => native.modelsCreate({ preset: 'cunet-mnist', device: 'cpu', norm: 'layer' })).toThrow(
      `norm must be one of '${NORMS.join("', '")}'`,
    );
    expect(() => native.diffusionSchedule('quadratic', 10)).toThrow(
      "unknown noise schedule 'quadratic': use linear, cosine or sigmoid",
    );
  });
});
