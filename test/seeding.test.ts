import { models, tensor } from '../lib';

async function output(seed?: number): Promise<number[]> {
  using model = models.create({ preset: 'unet-mnist', imageSize: 8, ...(seed === undefined ? {} : { seed }) });
  using x = tensor(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
  using t = tensor(new Float32Array([10]), [1]);
  using y = await model.forward(x, t);
  return Array.from(y.toFloat32Array());
}

describe('seeds', () => {
  it('a seeded model does not reseed the global generator that unseeded models draw from', async () => {
    await output(5);
    const first = await output();
    await output(5);
    const second = await output();
    // Were the global generator left seeded with 5, both unseeded models would be the same network.
    expect(second).not.toEqual(first);
    expect(await output(5)).toEqual(await output(5));
  });
});
