import { disposeTrainerState, loadMnistPackage, sample, train, type ImageDataset, type TrainConfig } from '../lib';

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

describe('the embedded MNIST digits', () => {
  it('are 10,000 1x28x28 images in [-1, 1] with labels 0-9', () => {
    const mnist = loadMnistPackage();
    expect(mnist.shape).toEqual([10000, 1, 28, 28]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of mnist.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([-1, 1]);
    expect(new Set(mnist.labels).size).toBe(10);
  });
});

describe('training', () => {
  const mnist = loadMnistPackage();

  it('lowers the loss of cunet-mnist clearly over a few hundred steps (fixed seed)', async () => {
    const progress: number[] = [];
    const result = await train(
      { model: { preset: 'cunet-mnist' }, data: mnist, train: { steps: 300, batchSize: 16, seed: 0, warmupSteps: 20 } },
      { onProgress: (p) => progress.push(p.step) },
    );
    expect(result.losses).toHaveLength(300);
    expect(progress).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    const first = mean(result.losses.slice(0, 20));
    const last = mean(result.losses.slice(-50));
    expect(last).toBeLessThan(first / 3);
    expect(last).toBeLessThan(0.2);
    // The trained models sample.
    using digits = await sample(result.ema, { n: 2, sampler: 'ddim', steps: 10, seed: 0 });
    expect(digits.shape).toEqual([2, 1, 28, 28]);
    result.model.dispose();
    result.ema.dispose();
  });

  it('repeats exactly with the same seed', async () => {
    const run = () =>
      train({ model: { preset: 'unet-mnist' }, data: mnist, train: { steps: 5, batchSize: 4, seed: 42 } });
    const [a, b] = [await run(), await run()];
    expect(Array.from(a.losses)).toEqual(Array.from(b.losses));
  });

  it('resumes exactly: 4 steps then 4 more give the losses, weights and EMA of 8 steps in one go', async () => {
    const config = (steps: number): TrainConfig => ({
      model: { preset: 'unet-mnist' },
      data: mnist,
      train: { steps, batchSize: 4, seed: 7, warmupSteps: 6, ema: { decay: 0.9, every: 3 } },
    });
    const whole = await train(config(8));
    const first = await train(config(4));
    expect(first.state.step).toBe(4);
    const rest = await train(config(8), { resume: first });
    expect(rest.state.step).toBe(8);
    expect([...first.losses, ...rest.losses]).toEqual(Array.from(whole.losses));
    // Bit-for-bit: every weight and EMA weight as raw bytes.
    const weights = (r: typeof whole) =>
      Buffer.concat(
        [r.model, r.ema].flatMap((m) => m.stateDict().map((e) => Buffer.from(e.tensor.toFloat32Array().buffer))),
      );
    expect(weights(rest).equals(weights(whole))).toBe(true);
    expect(Object.keys(rest.state.expAvg).length).toBeGreaterThan(10);
    expect(rest.state.generator).toEqual(whole.state.generator);
    await expect(train(config(4), { resume: rest })).rejects.toThrow(/already at step 8: steps counts from the start/);
    for (const r of [whole, first, rest]) {
      r.model.dispose();
      r.ema.dispose();
      disposeTrainerState(r.state);
    }
  });

  it('stops when aborted and resolves with the steps done', async () => {
    const controller = new AbortController();
    const result = await train(
      // Steps of a few hundred ms, so that progress reaches JS long before the next step ends.
      { model: { preset: 'unet-mnist' }, data: mnist, train: { steps: 500, batchSize: 48, seed: 1 } },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step === 3) controller.abort();
        },
      },
    );
    expect(result.aborted).toBe(true);
    // The steps run between the abort and the native loop seeing it depend on the event loop's load.
    expect(result.losses.length).toBeGreaterThanOrEqual(3);
    expect(result.losses.length).toBeLessThan(500);
    expect(result.state.step).toBe(result.losses.length);
  });

  it('stops on a NaN loss with an error naming the step', async () => {
    const data = new Float32Array(8 * 28 * 28).fill(0.5);
    data[100] = NaN;
    const poisoned: ImageDataset = { name: 'poisoned', data, shape: [8, 1, 28, 28] };
    await expect(
      train({ model: { preset: 'unet-mnist' }, data: poisoned, train: { steps: 50, batchSize: 8, seed: 0 } }),
    ).rejects.toThrow(/training stopped at step 1: the loss became NaN/);
  });

  it('rejects a run whose every step the loss scaler skipped, naming train.lossScale', async () => {
    await expect(
      train({ model: { preset: 'unet-mnist' }, data: mnist, train: { steps: 2, batchSize: 2, lossScale: 1e308 } }),
    ).rejects.toThrow(
      "train: the loss scaler skipped every one of the 2 steps (Inf/NaN gradients each time), so the weights never changed: train.lossScale 1e+308 is too large for precision 'fp32'",
    );
  });

  it('rejects bad options by name', async () => {
    await expect(
      train({ model: { preset: 'unet-mnist' }, data: mnist, train: { steps: 0, batchSize: 4 } }),
    ).rejects.toThrow('train: train.steps: number must be greater than 0 (got 0)');
    await expect(
      train({
        model: { preset: 'unet-mnist' },
        data: mnist,
        train: { steps: 2, batchSize: 4 },
        diffusion: { objective: 'score' as 'v' },
      }),
    ).rejects.toThrow("train: diffusion.objective: invalid enum value. expected 'eps' | 'x0' | 'v', received 'score'");
  });
});
