// The paper's model options on models.create and in configs: norm, activation, coupling and ode change a
// cU-Net's layers, train, and come back from a checkpoint as the network that was trained.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadMnistPackage, models, tensor, train } from '../lib';
import { loadCheckpoint, saveCheckpoint } from '../lib/checkpoint/checkpoint';
import { parseTrainConfig } from '../lib/config/train-config';

describe('cU-Net layer options', () => {
  it('group norm and ReLU build another network, with its own parameter count, that trains', async () => {
    using ours = models.create({ preset: 'cunet-mnist', seed: 0 });
    using text = models.create({ preset: 'cunet-mnist', norm: 'group', activation: 'relu', seed: 0 });
    // GroupNorm has a scale and a shift per channel; InstanceNorm (the official code's) has none.
    expect(text.parameterCount().total).toBeGreaterThan(ours.parameterCount().total);
    expect(text.parameters().some((p) => p.name.endsWith('odefunc.norm1.norm.weight'))).toBe(true);
    expect(ours.parameters().some((p) => p.name.includes('odefunc.norm'))).toBe(false);

    const run = await train({
      model: { preset: 'cunet-mnist', norm: 'group', activation: 'relu' },
      data: loadMnistPackage(32),
      train: { steps: 3, batchSize: 4, seed: 0 },
    });
    expect(run.losses.length).toBe(3);
    expect(Array.from(run.losses).every(Number.isFinite)).toBe(true);
    expect(run.model.parameterCount()).toEqual(text.parameterCount());
    run.model.dispose();
    run.ema.dispose();
  });

  it('coupling and ode change how the blocks integrate', async () => {
    using official = models.create({ preset: 'cunet-mnist', coupling: 'augmented-first-order', seed: 0 });
    using ours = models.create({ preset: 'cunet-mnist', seed: 0 });
    expect(official.parameterCount().total).not.toBe(ours.parameterCount().total);
    using euler = models.create({ preset: 'cunet-mnist', ode: { method: 'euler', steps: 2 }, seed: 0 });
    using x = tensor(new Float32Array(28 * 28).fill(0.1), [1, 1, 28, 28]);
    using t = tensor(new Float32Array([10]), [1]);
    using a = await ours.forward(x, t);
    using b = await euler.forward(x, t);
    expect(a.toFloat32Array()).not.toEqual(b.toFloat32Array()); // same weights, another solver
    expect(() => models.create({ preset: 'cunet-mnist', ode: { method: 'dopri5', rtol: 0, atol: 0 } })).toThrow(
      'rtol and atol must be non-negative and not both zero',
    );
  });

  it('cunet-text is the paper as its text describes it: GroupNorm in the ODE functions and ReLU', () => {
    using text = models.create({ preset: 'cunet-text', seed: 0 });
    using same = models.create({ preset: 'cunet', norm: 'group', activation: 'relu', seed: 0 });
    expect(text.parameterCount()).toEqual(same.parameterCount());
  });

  it('survive a checkpoint round trip: the loaded model is the network that was trained', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-model-options-'));
    try {
      const model = { preset: 'cunet-mnist', norm: 'group', activation: 'relu', ode: { steps: 2 } } as const;
      const config = parseTrainConfig({ model, train: { steps: 1, batchSize: 1 } });
      using trained = models.create({ ...model, seed: 3 });
      const state = { step: 1, imageSize: 28, channels: 1, seed: 0, aborted: false, lastLoss: null, savedAt: 'now' };
      saveCheckpoint(path.join(dir, 'run'), { model: trained, ema: trained, config, state });
      const saved = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'config.json'), 'utf8'));
      expect(saved.model).toEqual({ ...model, device: 'cpu' });
      const loaded = loadCheckpoint(path.join(dir, 'run'));
      expect(loaded.model.parameterCount()).toEqual(trained.parameterCount());
      const weights = (m: typeof trained) =>
        Object.fromEntries(m.stateDict().map((s) => [s.name, s.tensor.toFloat32Array()]));
      expect(weights(loaded.ema)).toEqual(weights(trained));
      loaded.model.dispose();
      loaded.ema.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
