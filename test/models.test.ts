import v8 from 'node:v8';
import vm from 'node:vm';

import { memory, models, tensor, type Denoiser, type ModelPreset, type Tensor } from '../lib';
import { runCliJson } from './helpers/cli-run';
import { maxAbsDifference } from './helpers/compare';

const ALL = models.presets().map((p) => p.name as ModelPreset);

function inputs(model: Denoiser, batch: number, size: number, steps: number[]): [Tensor, Tensor] {
  const n = batch * model.channels * size * size;
  const x = tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)),
    [batch, model.channels, size, size],
  );
  return [x, tensor(Float32Array.from(steps), [batch])];
}

describe('parameter counts', () => {
  // The official code's and the reference U-Nets' counts, to the unit (the README models table).
  it.each([
    ['cunet-paper', 8_811_875],
    ['cunet-paper-noattn', 8_548_707],
    ['unet-paper', 35_710_339],
    ['unet-ddpm', 35_746_307],
  ] as Array<[ModelPreset, number]>)('%s has %d parameters', (preset, count) => {
    using model = models.create(preset);
    expect(model.parameterCount().total).toBe(count);
  });

  it('counts the frozen sinusoid table as a parameter, not a trainable one', () => {
    using model = models.create('cunet-paper');
    const { total, trainable } = model.parameterCount();
    expect(total - trainable).toBe(1000 * 256);
  });

  it('keeps the faithful cU-Net within 10% of the official layout', () => {
    using paper = models.create('cunet-paper');
    using faithful = models.create('cunet');
    const ratio = faithful.parameterCount().total / paper.parameterCount().total;
    expect(Math.abs(ratio - 1)).toBeLessThan(0.1);
  });
});

describe('FLOPs as thop counts them', () => {
  it('reproduces 2.83 G for cunet-paper and 7.21 G for unet-paper at 1x3x64x64', () => {
    using cunet = models.create('cunet-paper');
    using unet = models.create('unet-paper');
    expect(cunet.flops([1, 3, 64, 64]).macs).toBe(2_830_983_168);
    expect(unet.flops([1, 3, 64, 64]).macs).toBe(7_206_256_640);
  });
});

describe('every preset', () => {
  it.each(ALL)('%s maps (x, t) to x’s shape at two image sizes', async (preset) => {
    const info = models.presets().find((p) => p.name === preset)!;
    for (const size of [info.imageSize, info.imageSize === 28 ? 32 : 32]) {
      using model = models.create({ preset, imageSize: size, seed: 1 });
      const [x, t] = inputs(model, 2, size, [10, 900]);
      using out = await model.forward(x, t);
      expect(out.shape).toEqual([2, model.channels, size, size]);
      expect(out.toFloat32Array().every(Number.isFinite)).toBe(true);
      x.dispose();
      t.dispose();
    }
  });
});

describe('time conditioning', () => {
  async function outputsAt(preset: ModelPreset, steps: number[]) {
    using model = models.create({ preset, imageSize: 16, seed: 2 });
    const [x, t] = inputs(model, 1, 16, steps);
    using out = await model.forward(x, t);
    x.dispose();
    t.dispose();
    return out.toFloat32Array();
  }
  it('the faithful cU-Net’s output changes when only t changes', async () => {
    expect(maxAbsDifference(await outputsAt('cunet', [10]), await outputsAt('cunet', [700]))).toBeGreaterThan(1e-4);
  });

  it('the official layout’s does not: it never sees t', async () => {
    expect(maxAbsDifference(await outputsAt('cunet-paper', [10]), await outputsAt('cunet-paper', [700]))).toBe(0);
  });
});

describe('gradients', () => {
  it.each(['cunet', 'cunet-mnist', 'unet-mnist', 'cunet-paper'] as ModelPreset[])(
    'reach every trainable parameter of %s',
    async (preset) => {
      // 32 px keeps the deepest level at 2x2: instance norm over a single pixel would zero it.
      using model = models.create({ preset, imageSize: 32, seed: 3 });
      const [x, t] = inputs(model, 2, 32, [5, 400]);
      const norms = await model.gradientNorms(x, t);
      const trainable = model.parameters().filter((p) => p.trainable);
      expect(Object.keys(norms).sort()).toEqual(trainable.map((p) => p.name).sort());
      const dead = Object.entries(norms).filter(([, norm]) => !(norm > 0));
      expect(dead).toEqual([]);
      x.dispose();
      t.dispose();
    },
  );
});

describe('channels-last U-Nets', () => {
  it('compute what the NCHW network computes, from the same weights, and give NCHW outputs', async () => {
    using nhwc = models.create({ preset: 'unet-mnist', seed: 4, channelsLast: true });
    using nchw = models.create({ preset: 'unet-mnist', seed: 4, channelsLast: false });
    const [x, t] = inputs(nhwc, 3, 28, [20, 700, 999]);
    using a = await nhwc.forward(x, t);
    using b = await nchw.forward(x, t);
    expect(a.shape).toEqual([3, 1, 28, 28]);
    // The same sums in another order: float32 rounding apart.
    expect(maxAbsDifference(a.toFloat32Array(), b.toFloat32Array())).toBeLessThan(1e-4);
    x.dispose();
    t.dispose();
  });

  it('is an option of the lucidrains U-Nets only', () => {
    expect(() => models.create({ preset: 'cunet-mnist', channelsLast: true })).toThrow(
      "model preset 'cunet-mnist' has no channelsLast option",
    );
  });
});

describe('bad input', () => {
  it('names the known presets for an unknown one', () => {
    expect(() => models.create('cunet-large' as ModelPreset)).toThrow(
      /unknown model preset 'cunet-large': use one of cunet-paper, .*unet-mnist/,
    );
  });

  it('checks the shapes given to forward', async () => {
    using model = models.create('cunet-mnist');
    using x = tensor(new Float32Array(2 * 3 * 8 * 8), [2, 3, 8, 8]);
    using t = tensor(new Float32Array(2), [2]);
    expect(() => model.forward(x, t)).toThrow('forward: x must be (batch, 1, height, width), got [2, 3, 8, 8]');
  });
});

describe('missing-u inspect', () => {
  it('prints parameters, GFLOPs and memory for a preset', () => {
    const row = runCliJson(['inspect', '--preset', 'cunet-paper', '--json']);
    expect(row).toMatchObject({ preset: 'cunet-paper', parameters: 8_811_875, gflops: 2.83, imageSize: 64 });
    expect(row.peakInferenceMB).toBeGreaterThan(0);
    expect(row.peakTrainingMB).toBeGreaterThan(row.peakInferenceMB);
  });
});

/** A forward pass of one image of side `size` keeps the image's shape. */
async function expectForwardAt(model: Denoiser, size: number): Promise<void> {
  const [x, t] = inputs(model, 1, size, [10]);
  using out = await model.forward(x, t);
  expect(out.shape).toEqual([1, model.channels, size, size]);
  x.dispose();
  t.dispose();
}

describe('image sizes', () => {
  it.each(ALL)('%s takes its smallest size and refuses sizes its down-sampling cannot take', async (preset) => {
    const info = models.presets().find((p) => p.name === preset)!;
    const smallest = info.minImageSize;
    expect(info.maxImageSize).toBe(1024);
    expect(models.checkImageSize(preset, smallest)).toBeNull();
    using model = models.create({ preset, imageSize: smallest, seed: 0 });
    await expectForwardAt(model, smallest);
    // A size between multiples, where the preset down-samples exactly.
    const between = 3 * info.sizeMultiple + 1;
    if (info.sizeMultiple > 1) {
      const message = `imageSize ${between} does not suit model preset '${preset}': the model halves the image exactly`;
      expect(models.checkImageSize(preset, between)).toContain(message);
      expect(() => models.create({ preset, imageSize: between })).toThrow(message);
    }
    expect(() => models.create({ preset, imageSize: smallest / 2 })).toThrow(`so it needs at least ${smallest} px`);
    expect(() => models.create({ preset, imageSize: 1025 })).toThrow(
      `imageSize 1025 does not suit model preset '${preset}': the most missing-u takes is 1024 px`,
    );
  });

  it.each(['cunet-mnist', 'cunet'] as ModelPreset[])('%s takes odd sizes (bilinear halving)', async (preset) => {
    const size = 2 * models.presets().find((p) => p.name === preset)!.minImageSize + 1;
    expect(models.checkImageSize(preset, size)).toBeNull();
    using model = models.create({ preset, imageSize: size, seed: 0 });
    await expectForwardAt(model, size);
  });

  it('imageSize 4 for unet-paper is refused at creation, not deep inside libtorch', () => {
    expect(() => models.create({ preset: 'unet-paper', imageSize: 4 })).toThrow(
      "imageSize 4 does not suit model preset 'unet-paper': the model halves the image 3 times, so it needs at least 8 px",
    );
    expect(models.checkImageSize('unet-paper', 20000)).toMatch(/the most missing-u takes is 1024 px/);
    expect(models.checkImageSize('unet-paper', 64)).toBeNull();
  });
});

describe('models left to the garbage collector', () => {
  // When V8 collects a model nobody disposed, its finalizer gives the native memory back. The collection
  // is forced here (a test cannot wait for V8 to choose one: when it does depends on the machine's load).
  const gc = (): void => {
    v8.setFlagsFromString('--expose-gc');
    (vm.runInNewContext('gc') as () => void)();
  };
  (memory.stats() ? it : it.skip)('give their native memory back once collected', async () => {
    const start = memory.stats()!.allocated;
    const held = () => memory.stats()!.allocated - start;
    let one = 0;
    for (let i = 0; i < 4; i++) one = 4 * models.create({ preset: 'cunet-paper', seed: 0 }).parameterCount().total;
    expect(held()).toBeGreaterThanOrEqual(one);
    gc();
    // N-API runs the finalizers of what was collected on the next turns of the event loop.
    for (let turn = 0; turn < 100 && held() > 0; turn++) await new Promise(setImmediate);
    expect(held()).toBeLessThan(one);
  });
});

describe('loading weights', () => {
  it.each([Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses a tensor holding %s by name and leaves the model as it was',
    (bad) => {
      using model = models.create({ preset: 'unet-mnist', imageSize: 8, seed: 0 });
      const state = model.stateDict();
      const given: Record<string, Tensor> = Object.fromEntries(state.map((s) => [s.name, s.tensor as Tensor]));
      const victim = state[state.length - 1];
      const original = victim.tensor.toFloat32Array();
      const corrupt = Float32Array.from(original);
      corrupt[0] = bad;
      using replaced = tensor(corrupt, victim.tensor.shape);
      given[victim.name] = replaced;
      expect(() => model.loadStateDict(given)).toThrow(
        `tensor '${victim.name}' holds NaN or Inf values: the checkpoint is corrupt or the run diverged`,
      );
      const after = model.stateDict();
      expect(Array.from(after[after.length - 1].tensor.toFloat32Array())).toEqual(Array.from(original));
      [...state, ...after].forEach((s) => s.tensor.dispose());
    },
  );
});
