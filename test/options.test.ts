import { DEFAULT_DIFFUSION } from '../lib/diffusion-settings';
// Integer options are range-checked before any conversion, and the error names the option.
import { models, noiseSchedule, randn, sample, tensor } from '../lib';
import { count, positiveCount } from '../lib/cli/parse';
import { parseTrainConfig } from '../lib/config/train-config';
import { native } from '../lib/native';
import { SampleSchema } from '../lib/schemas/diffusion-options';
import { DEFAULT_REVERSE } from '../lib/schemas/reverse-defaults';

const SAFE = '2^53 - 1';

describe('native integer options', () => {
  it('refuse a seed beyond 2^53 - 1 or below 0 instead of wrapping it', () => {
    expect(() => models.create({ preset: 'cunet-mnist', seed: 1e20 })).toThrow(
      `models.create: seed must be an integer in [0, ${SAFE}] (got 100000000000000000000)`,
    );
    expect(() => models.create({ preset: 'cunet-mnist', seed: -1 })).toThrow('models.create: seed must be an integer');
    expect(() => randn([2], 1e20)).toThrow(`randn: seed must be an integer in [0, ${SAFE}]`);
    expect(() => randn([2], -3)).toThrow(`randn: seed must be an integer in [0, ${SAFE}] (got -3)`);
  });

  it('refuse a size that does not fit in an int64 by its index, not as -9223372036854775808', () => {
    expect(() => tensor(new Float32Array(1), [1e300])).toThrow(
      `shape[0] must be a non-negative integer of at most ${SAFE} (got 1e+300)`,
    );
    expect(() => tensor(new Float32Array(1), [1, 2 ** 60])).toThrow('shape[1] must be a non-negative integer');
  });

  it('bound diffusionSteps and name it', async () => {
    using model = models.create({ preset: 'unet-mnist', imageSize: 8, seed: 0 });
    await expect(sample(model, { n: 1, diffusionSteps: 1e20 })).rejects.toThrow(
      'sample: diffusionSteps must be an integer in [2, 100000] (got 100000000000000000000)',
    );
    await expect(sample(model, { n: 1, diffusionSteps: 200000 })).rejects.toThrow(
      'sample: diffusionSteps must be an integer in [2, 100000]',
    );
    expect(() => noiseSchedule('linear', 1e9)).toThrow('schedule: diffusionSteps must be an integer in [2, 100000]');
  });

  it('refuse steps 0 in the native sampler itself (it used to run all T steps)', () => {
    using model = models.create({ preset: 'unet-mnist', imageSize: 8, seed: 0 });
    // Every other option as the schema fills it in: native code requires each key it reads.
    const options = { ...SampleSchema.parse({ n: 1 }), ...DEFAULT_DIFFUSION, ...DEFAULT_REVERSE, steps: 0 };
    expect(() => native.diffusionSample(model, options, undefined, new Int32Array(1))).toThrow(
      'sample: steps must be an integer in [1, 100000] (got 0)',
    );
  });

  it('refuse n, seed and imageSize out of range in sample and models.create', async () => {
    using model = models.create({ preset: 'unet-mnist', imageSize: 8, seed: 0 });
    await expect(sample(model, { n: 0 })).rejects.toThrow(`sample: n must be an integer in [1, ${SAFE}] (got 0)`);
    await expect(sample(model, { n: 1, seed: 2 ** 64 })).rejects.toThrow(
      `sample: seed must be an integer in [0, ${SAFE}]`,
    );
    expect(() => models.create({ preset: 'cunet-mnist', imageSize: 1e300 })).toThrow(
      `models.create: imageSize must be an integer in [0, ${SAFE}] (got 1e+300)`,
    );
    expect(() => models.create({ preset: 'cunet-mnist', channels: 1e6 })).toThrow(
      'models.create: channels must be an integer in [0, 64] (got 1000000)',
    );
  });
});

describe('CLI integer options', () => {
  it('--steps and --n must be at least 1; counts must be safe integers', () => {
    expect(() => positiveCount('--steps')('0')).toThrow('--steps must be at least 1 (got 0)');
    expect(positiveCount('--steps')('25')).toBe(25);
    expect(() => count('--seed')('1e20')).toThrow(
      `--seed must be a non-negative integer of at most ${SAFE} (got 1e20)`,
    );
  });
});

describe('train config numbers', () => {
  const base = { model: { preset: 'cunet' }, train: { steps: 1, batchSize: 1 } };
  const folder = (imageSize: number) => ({ source: 'image-folder', path: '/nonexistent', imageSize });

  it('checks the image size against the preset before any image is read', () => {
    // The folder does not exist: the size is refused first, by the model's own rule.
    expect(() => parseTrainConfig({ ...base, data: folder(20000) })).toThrow(
      "field 'data.imageSize' is 20000: imageSize 20000 does not suit model preset 'cunet': the most missing-u takes is 1024 px",
    );
    expect(() => parseTrainConfig({ ...base, model: { preset: 'unet-paper' }, data: folder(30) })).toThrow(
      "imageSize 30 does not suit model preset 'unet-paper': the model halves the image exactly 3 times, so the size must be a multiple of 8 (use 24 or 32)",
    );
    expect(() => parseTrainConfig({ ...base, model: { preset: 'unet-paper' }, data: folder(4) })).toThrow(
      "imageSize 4 does not suit model preset 'unet-paper': the model halves the image 3 times, so it needs at least 8 px",
    );
    expect(parseTrainConfig({ ...base, data: folder(64) }).data).toMatchObject({ imageSize: 64 });
  });

  it('checks MNIST’s 28 px against the preset', () => {
    expect(() => parseTrainConfig({ ...base, model: { preset: 'unet-ddpm' } })).toThrow(
      "field 'model.preset' is \"unet-ddpm\": MNIST images are 28 x 28 px: imageSize 28 does not suit model preset 'unet-ddpm'",
    );
    expect(parseTrainConfig({ ...base, model: { preset: 'unet-mnist' } }).model.preset).toBe('unet-mnist');
  });

  it('refuses seeds that are not safe integers and diffusionSteps above 100000', () => {
    expect(() => parseTrainConfig({ ...base, train: { ...base.train, seed: 1e20 } })).toThrow("field 'train.seed'");
    expect(() => parseTrainConfig({ ...base, diffusion: { diffusionSteps: 1e6 } })).toThrow(
      "field 'diffusion.diffusionSteps'",
    );
  });
});
