// Schemas and configs import and validate without libtorch: no module under lib/schemas or lib/config
// loads the addon at import. Only a config's image-size check needs it (a preset's rule is native).
import fs from 'node:fs';
import path from 'node:path';

import { parseTrainConfig } from '../lib/config/train-config';
import { DataSectionSchema } from '../lib/schemas/data-options';
import { parseDiffusionSettings, SampleSchema, SchedulerSchema } from '../lib/schemas/diffusion-options';
import { FidStepsSchema } from '../lib/schemas/fid-steps-options';
import { ModelSectionSchema } from '../lib/schemas/model-options';
import { resolveReverse } from '../lib/schemas/reverse-defaults';
import { TrainSectionSchema } from '../lib/schemas/train-options';

// Hoisted above the imports by ts-jest: every module here sees a node-gyp-build that cannot load the addon.
jest.mock('node-gyp-build', () => () => {
  throw new Error('no addon in this test');
});

const LIB = path.join(__dirname, '..', 'lib');
const MODULES = ['schemas', 'config'].flatMap((dir) =>
  fs
    .readdirSync(path.join(LIB, dir))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => `${dir}/${name.replace(/\.ts$/, '')}`),
);

beforeAll(() => {
  delete process.env.MISSING_U_ADDON;
});

describe('without the addon', () => {
  it.each(MODULES)('lib/%s imports', (name) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(() => require(path.join(LIB, name))).not.toThrow();
  });

  it('the schemas parse, filling in their defaults', () => {
    // The reverse process's settings stay unset: resolveReverse fills them in from the denoiser or its defaults.
    expect(SampleSchema.parse({ n: 2 })).toEqual({ n: 2, variance: 'fixedlarge', clip: true, cudaGraph: false });
    expect(resolveReverse(undefined, {})).toMatchObject({
      sampler: 'ddim',
      steps: 50,
      spacing: 'improved',
      eta: 0,
      seed: 0,
    });
    expect(resolveReverse(undefined, {}).ode).toMatchObject({
      method: 'dopri5',
      rtol: 1e-3,
      atol: 1e-3,
      epsilon: 1e-3,
    });
    expect(SchedulerSchema.parse({})).toMatchObject({ schedule: 'linear', diffusionSteps: 1000, objective: 'eps' });
    expect(parseDiffusionSettings({ objective: 'v' }, 'x')).toEqual({ objective: 'v' });
    expect(ModelSectionSchema.parse({ preset: 'cunet-mnist', norm: 'group' })).toMatchObject({ device: 'cpu' });
    expect(FidStepsSchema.parse({}).sampler).toBeUndefined();
    expect(DataSectionSchema.parse(undefined)).toEqual({ source: 'mnist-package', horizontalFlip: false });
    expect(TrainSectionSchema.parse({ steps: 1, batchSize: 1 }).precision).toBe('fp32');
    const config = parseTrainConfig({
      model: { preset: 'cunet-mnist' },
      data: { source: 'prepared', path: 'digits' },
      train: { steps: 1, batchSize: 1 },
    });
    expect(config.sample).toEqual({ sampler: 'ddim', spacing: 'improved', eta: 0, n: 64, seed: 0 });
  });

  it('checking an image size against a preset says the addon could not be loaded', () => {
    expect(() => parseTrainConfig({ model: { preset: 'cunet-mnist' }, train: { steps: 1, batchSize: 1 } })).toThrow(
      "missing-u's native addon could not be loaded: no addon in this test",
    );
  });
});
