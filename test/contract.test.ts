// One contract across the seam: every operation's options have one schema (lib/schemas/) that holds the
// defaults; an unknown option is an error naming it, on the JS side and again in native code.
import { DEFAULT_DIFFUSION } from '../lib/diffusion-settings';
import { denoise, loadMnistPackage, models, ode, sample, tensor, train, jit } from '../lib';
import type { DenoiseOptions, ModelOptions, SampleOptions, SolveOptions, TrainConfig } from '../lib';
import { native } from '../lib/native';
import { DenoiseSchema, SampleSchema } from '../lib/schemas/diffusion-options';
import { DEFAULT_REVERSE } from '../lib/schemas/reverse-defaults';
import path from 'node:path';

const FIXTURES = path.join(__dirname, 'fixtures');

describe('unknown options are errors that name them', () => {
  const mnist = loadMnistPackage(16);

  it('in models.create', () => {
    expect(() => models.create({ preset: 'cunet-mnist', widht: 3 } as ModelOptions)).toThrow(
      "models.create: unknown option 'widht' (known: preset, device, width, norm, activation, coupling, ode, channelsLast, imageSize, channels, seed, precision, diffusion)",
    );
    expect(() => models.create({ preset: 'cunet-mnist', ode: { stepz: 2 } } as ModelOptions)).toThrow(
      "models.create: unknown option 'ode.stepz'",
    );
  });

  it('in sample and denoise', async () => {
    using model = models.create({ preset: 'unet-mnist', imageSize: 8, seed: 0 });
    await expect(sample(model, { n: 1, stepz: 3 } as SampleOptions)).rejects.toThrow(
      "sample: unknown option 'stepz' (known: schedule, diffusionSteps, objective, sampler, steps,",
    );
    using image = tensor(new Float32Array(64), [1, 1, 8, 8]);
    await expect(denoise(model, image, { noiseStep: 3, noisestep: 3 } as DenoiseOptions)).rejects.toThrow(
      "denoise: unknown option 'noisestep'",
    );
  });

  it('in train, in every section', async () => {
    const base = { model: { preset: 'unet-mnist' as const }, data: mnist };
    await expect(train({ ...base, train: { steps: 1, batchSize: 2, learningRate: 5 } } as TrainConfig)).rejects.toThrow(
      "train: unknown option 'train.learningRate' (known: train.steps, train.batchSize,",
    );
    await expect(
      train({ ...base, train: { steps: 1, batchSize: 2, ema: { decay: 0.9, evry: 2 } } } as TrainConfig),
    ).rejects.toThrow("train: unknown option 'train.ema.evry'");
    await expect(
      train({ ...base, model: { preset: 'unet-mnist', widht: 3 }, train: { steps: 1, batchSize: 2 } } as TrainConfig),
    ).rejects.toThrow("train: unknown option 'model.widht'");
    await expect(train({ ...base, train: { steps: 1, batchSize: 2 }, lr: 1 } as TrainConfig)).rejects.toThrow(
      "train: unknown option 'lr' (known: model, diffusion, train)",
    );
  });

  it('in ode.solve', async () => {
    using f = jit.load(path.join(FIXTURES, 'harmonic.pt'));
    using x0 = tensor(new Float32Array([1]), [1]);
    using v0 = tensor(new Float32Array([0]), [1]);
    await expect(ode.solve({ f, x0, v0, method: 'rk4', steps: 2, setps: 3 } as SolveOptions)).rejects.toThrow(
      "ode.solve: unknown option 'setps'",
    );
  });
});

describe('native code checks the same contract on its own side', () => {
  it('refuses unknown keys by name, with the keys it knows', () => {
    expect(() => native.modelsCreate({ preset: 'cunet-mnist', device: 'cpu', widht: 3 })).toThrow(
      "models.create: unknown option 'widht' (known: preset, width, norm, activation, coupling, ode, channelsLast, imageSize, channels, device, seed, precision)",
    );
    using model = models.create({ preset: 'unet-mnist', imageSize: 8, seed: 0 });
    const flag = new Int32Array(1);
    expect(() =>
      native.diffusionSample(
        model,
        { ...SampleSchema.parse({ n: 1 }), ...DEFAULT_DIFFUSION, ...DEFAULT_REVERSE, stepz: 3 },
        undefined,
        flag,
      ),
    ).toThrow("sample: unknown option 'stepz' (known: ");
    using image = tensor(new Float32Array(64), [1, 1, 8, 8]);
    const denoiseOptions = {
      ...DenoiseSchema.parse({ noiseStep: 2 }),
      ...DEFAULT_DIFFUSION,
      ...DEFAULT_REVERSE,
      extra: true,
    };
    expect(() => native.diffusionDenoise(model, image, denoiseOptions, undefined, flag)).toThrow(
      "denoise: unknown option 'extra'",
    );
  });

  it('requires every key it reads: the defaults live in the schemas only', () => {
    using model = models.create({ preset: 'unet-mnist', imageSize: 8, seed: 0 });
    expect(() => native.diffusionSample(model, { n: 1 }, undefined, new Int32Array(1))).toThrow(
      'sample: cudaGraph must be true or false (got undefined)',
    );
    expect(() => native.modelsCreate({ preset: 'unet-mnist' })).toThrow('models.create: device must be a string');
  });

  it('names an unknown key in a training run', () => {
    const data = new Float32Array(2 * 28 * 28);
    const options = {
      model: { preset: 'unet-mnist', device: 'cpu' },
      diffusion: { schedule: 'linear', diffusionSteps: 1000, objective: 'eps', snrWeighting: false, minSnrGamma: 0 },
      train: {
        steps: 1,
        batchSize: 1,
        accumulate: 1,
        lr: 2e-4,
        betas: [0.9, 0.99],
        weightDecay: 0,
        warmupSteps: 0,
        gradClip: 1,
        ema: { decay: 0.9, every: 1 },
        seed: 0,
        checkpointEvery: 0,
        checkpointSeconds: 0,
        precision: 'fp32',
        lossScale: 0,
        learningRate: 5,
      },
    };
    expect(() => native.trainRun(options, data, [2, 1, 28, 28], undefined, new Int32Array(1))).toThrow(
      "train: unknown option 'train.learningRate' (known: train.steps, train.batchSize, train.accumulate, train.lr,",
    );
  });
});
