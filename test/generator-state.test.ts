// A resumed run's generator state is checked before it trains: one that is corrupt, or from another
// libtorch, is refused by name rather than with libtorch's "Expected a CPUGeneratorImplState of size".
import { disposeTrainerState, loadMnistPackage, train, type TrainConfig, type TrainResult } from '../lib';
import { missingURejection } from './helpers/errors';

const config = (steps: number): TrainConfig => ({
  model: { preset: 'unet-mnist' },
  data: loadMnistPackage(),
  train: { steps, batchSize: 2, seed: 7 },
});

let first: TrainResult;
beforeAll(async () => (first = await train(config(1))));
afterAll(() => {
  first.model.dispose();
  first.ema.dispose();
  disposeTrainerState(first.state);
});

it.each([
  ['too short', (good: Uint8Array) => good.subarray(0, 12)],
  ['of the right size with its fields zero', (good: Uint8Array) => new Uint8Array(good.length)],
])('refuses a generator state %s as corrupt or from another libtorch', async (_, make) => {
  const generator = make(first.state.generator);
  const err = await missingURejection(
    train(config(2), { resume: { model: first.model, ema: first.ema, state: { ...first.state, generator } } }),
  );
  expect(err.code).toBe('format');
  expect(err.message).toMatch(
    new RegExp(
      `^resume\\.state\\.generator is not a CPU generator state this libtorch can restore \\(${generator.length} bytes; its states ` +
        `are ${first.state.generator.length}\\): it is corrupt or was saved by another libtorch`,
    ),
  );
});
