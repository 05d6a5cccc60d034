import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  saveCheckpoint,
  loadCheckpoint,
  loadCheckpointAsync,
  loadCheckpointEma,
  loadTrainerState,
} from '../lib/checkpoint/checkpoint';
import type { MissingUError } from '../lib/errors';
import { readSafetensors, writeSafetensors } from '../lib/io/safetensors';
import { parseTrainConfig } from '../lib/config/train-config';
import { models } from '../lib';
import { saveTiny } from './helpers/checkpoint';
import { killStarted, ROOT, runCliJson, runCliSync, startCli, until, writeTinyConfig } from './helpers/cli-run';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-ckpt-'))));
afterEach(() => {
  killStarted(); // a failed Ctrl-C test leaves no training behind
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('safetensors', () => {
  it('round-trips tensors and metadata in the format PyTorch users read', () => {
    const file = path.join(dir, 'a.safetensors');
    const data = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
    writeSafetensors(file, { w: { shape: [2, 3], data }, b: { shape: [1], data: new Float32Array([7]) } }, { k: 'v' });
    const bytes = fs.readFileSync(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);
    expect(JSON.parse(bytes.subarray(8, 8 + headerLength).toString()).w).toEqual({
      dtype: 'F32',
      shape: [2, 3],
      data_offsets: [4, 28],
    });
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ k: 'v' });
    expect(Array.from(back.tensors.w.data)).toEqual(Array.from(data));
    expect(back.tensors.b.shape).toEqual([1]);
  });

  it('writes only shapes it can read back', () => {
    const file = path.join(dir, 'a.safetensors');
    expect(() => writeSafetensors(file, { w: { shape: [-1, -2], data: new Float32Array(2) } })).toThrow(
      `cannot write ${file}: tensor 'w' has shape [-1,-2]; sizes are whole numbers >= 0`,
    );
    expect(fs.existsSync(file)).toBe(false);
  });

  it('says when a file is truncated or foreign', () => {
    const file = path.join(dir, 'a.safetensors');
    writeSafetensors(file, { w: { shape: [64], data: new Float32Array(64) } });
    fs.truncateSync(file, fs.statSync(file).size - 10);
    expect(() => readSafetensors(file)).toThrow(/tensor 'w' lies outside the file .*truncated/);
    fs.writeFileSync(file, 'PK\u0003\u0004 this is a zip');
    expect(() => readSafetensors(file)).toThrow(/not a readable safetensors file/);
  });
});

describe('configs', () => {
  it('ship ready runs that validate', () => {
    for (const name of ['mnist-cunet', 'mnist-unet', 'celeba64-cunet', 'celeba64-unet', 'lsun-church64-cunet']) {
      const config = parseTrainConfig(JSON.parse(fs.readFileSync(path.join(ROOT, 'configs', `${name}.json`), 'utf8')));
      expect(config.name).toBe(name);
    }
    // The Table 1 recipes of scripts/reproduce.sh.
    for (const file of fs.readdirSync(path.join(ROOT, 'configs', 'table1'))) {
      const config = parseTrainConfig(JSON.parse(fs.readFileSync(path.join(ROOT, 'configs', 'table1', file), 'utf8')));
      expect(config.name).toBe(`table1-${path.basename(file, '.json')}`);
    }
  });

  it('name the field, the value and what is allowed', () => {
    const base = { model: { preset: 'cunet-mnist' }, train: { steps: 10, batchSize: 4 } };
    expect(() => parseTrainConfig({ ...base, train: { steps: 10, batchSize: 4, lr: -1 } })).toThrow(
      "field 'train.lr' is -1: number must be greater than 0",
    );
    expect(() => parseTrainConfig({ ...base, model: { preset: 'cunet-huge' } })).toThrow(
      /field 'model.preset' is "cunet-huge": invalid enum value. expected 'cunet-paper'/,
    );
    expect(() => parseTrainConfig({ ...base, trian: {} })).toThrow("unknown field(s) 'trian' in (top level)");
  });
});

describe('checkpoints', () => {
  it('save both weight sets atomically and load them back exactly', async () => {
    const config = parseTrainConfig({ model: { preset: 'unet-mnist' }, train: { steps: 1, batchSize: 1 } });
    using model = models.create({ preset: 'unet-mnist', seed: 1 });
    using ema = models.create({ preset: 'unet-mnist', seed: 2 });
    const state = { step: 3, imageSize: 28, channels: 1, seed: 0, aborted: false, lastLoss: 0.5, savedAt: 'now' };
    const target = path.join(dir, 'run');
    saveCheckpoint(target, { model, ema, config, state });
    saveCheckpoint(target, { model, ema, config, state: { ...state, step: 4 } }); // overwrite in place
    expect(fs.readdirSync(dir)).toEqual(['run']); // no staging or previous folder left behind
    const loaded = loadCheckpoint(target);
    expect(loaded.state.step).toBe(4);
    const names = model.stateDict().map((s) => s.name);
    const tensorsOf = (m: typeof model) =>
      Object.fromEntries(m.stateDict().map((s) => [s.name, s.tensor.toFloat32Array()]));
    expect(tensorsOf(loaded.model)).toEqual(tensorsOf(model));
    expect(tensorsOf(loaded.ema)).toEqual(tensorsOf(ema));
    expect(Object.keys(readSafetensors(path.join(target, 'model.safetensors')).tensors).sort()).toEqual(names.sort());
    loaded.model.dispose();
    loaded.ema.dispose();
    // Kept for evaluation, the EMA weights alone load without model.safetensors.
    fs.rmSync(path.join(target, 'model.safetensors'));
    const only = loadCheckpointEma(target);
    expect(tensorsOf(only.ema)).toEqual(tensorsOf(ema));
    expect(only.state.step).toBe(4);
    only.ema.dispose();
    expect(() => loadCheckpoint(target)).toThrow(/model\.safetensors/);
  });

  it('refuse a corrupt or mismatched checkpoint with a message', () => {
    const config = parseTrainConfig({ model: { preset: 'unet-mnist' }, train: { steps: 1, batchSize: 1 } });
    using model = models.create('unet-mnist');
    const state = { step: 1, imageSize: 28, channels: 1, seed: 0, aborted: false, lastLoss: null, savedAt: 'now' };
    const target = path.join(dir, 'run');
    saveCheckpoint(target, { model, ema: model, config, state });
    fs.writeFileSync(path.join(target, 'state.json'), '{"step": 1,');
    expect(() => loadCheckpoint(target)).toThrow(/state.json is not valid JSON \(corrupt checkpoint\?\)/);
    fs.writeFileSync(path.join(target, 'state.json'), JSON.stringify(state));
    fs.writeFileSync(path.join(target, 'config.json'), JSON.stringify({ ...config, model: { preset: 'cunet-mnist' } }));
    expect(() => loadCheckpoint(target)).toThrow(/the checkpoint has no tensor '.*' for cunet-mnist/);
    expect(() => loadCheckpoint(path.join(dir, 'nope'))).toThrow('checkpoint folder');
  });
});

describe('a checkpoint read', () => {
  const saved = () => {
    const target = path.join(dir, 'run');
    saveTiny(target, 4);
    return target;
  };
  const rejection = (run: () => unknown): MissingUError => {
    try {
      run();
    } catch (err) {
      return err as MissingUError;
    }
    throw new Error('it did not throw');
  };

  it('names state.json and config.json, and the field, when either is wrong', () => {
    const target = saved();
    const stateFile = path.join(target, 'state.json');
    const written = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    fs.writeFileSync(stateFile, JSON.stringify({ ...written, step: '4' }));
    for (const read of [() => loadCheckpoint(target), () => loadTrainerState(target)]) {
      const err = rejection(read);
      expect(err.code).toBe('format');
      expect(err.message).toBe(
        `checkpoint file ${stateFile} is invalid (corrupt checkpoint?): field 'step' is "4": expected number, ` +
          'received string',
      );
    }
    fs.writeFileSync(stateFile, JSON.stringify({ ...written, generator: 'not base64!' }));
    expect(() => loadTrainerState(target)).toThrow(`${stateFile} is invalid (corrupt checkpoint?): field 'generator'`);
    fs.writeFileSync(stateFile, JSON.stringify(written));
    const configFile = path.join(target, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    fs.writeFileSync(configFile, JSON.stringify({ ...config, data: { source: 'mnist-package', limit: -28 } }));
    const err = rejection(() => loadCheckpoint(target));
    expect(err.code).toBe('format');
    expect(err.message).toContain(`checkpoint file ${configFile} is invalid:\n  - field 'data.limit' is -28`);
  });

  it('refuses weights of another model from their header, before reading their data', async () => {
    const target = saved();
    const file = path.join(target, 'ema.safetensors');
    const bytes = fs.readFileSync(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString());
    const dataLength = bytes.length - 8 - headerLength;
    const big = 1.5 * 2 ** 30; // a sparse tensor of 1.5 GiB: its bytes cost nothing until they are read
    header['bogus.weight'] = { dtype: 'F32', shape: [big / 4], data_offsets: [dataLength, dataLength + big] };
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8);
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    fs.writeFileSync(file, Buffer.concat([length, Buffer.from(json), bytes.subarray(8 + headerLength)]));
    fs.truncateSync(file, 8 + json.length + dataLength + big);
    // Any read or buffer of the tensor's size would be the data read that the header should have spared.
    const tooMuch = (n: number) => {
      if (n > 64 * 2 ** 20) throw new Error(`read ${n} bytes of a file whose header refuses it`);
    };
    const realReadSync = fs.readSync as (...args: unknown[]) => number;
    const reads = jest.spyOn(fs, 'readSync').mockImplementation(((...args: unknown[]) => {
      tooMuch(typeof args[3] === 'number' ? args[3] : 0);
      return realReadSync(...args);
    }) as unknown as typeof fs.readSync);
    const realAlloc = Buffer.allocUnsafe;
    const allocs = jest.spyOn(Buffer, 'allocUnsafe').mockImplementation((n: number) => {
      tooMuch(n);
      return realAlloc(n);
    });
    try {
      const expected = `${file}: tensor 'bogus.weight' is not one of unet-mnist for 1x28x28 images`;
      expect(() => loadCheckpoint(target)).toThrow(expected);
      await expect(loadCheckpointAsync(target)).rejects.toThrow(expected);
    } finally {
      reads.mockRestore();
      allocs.mockRestore();
    }
  });
});

describe('missing-u train and sample', () => {
  it('train a few steps into a checkpoint, then sample a PNG grid and the raw tensors, and denoise', () => {
    const out = path.join(dir, 'run');
    const trained = runCliJson([
      'train',
      '--config',
      path.join(ROOT, 'configs', 'mnist-unet.json'),
      '--steps',
      '3',
      '--out',
      out,
      '--json',
    ]);
    expect(trained).toMatchObject({ steps: 3, aborted: false });
    expect(fs.readdirSync(out).sort()).toEqual([
      'config.json',
      'ema.safetensors',
      'model.safetensors',
      'optimizer.safetensors',
      'state.json',
    ]);
    const png = path.join(dir, 'grid.png');
    const tensors = path.join(dir, 'samples.safetensors');
    const sampled = runCliJson([
      'sample',
      '--checkpoint',
      out,
      '--n',
      '4',
      '--steps',
      '3',
      '--out',
      png,
      '--tensor-out',
      tensors,
      '--json',
    ]);
    expect(sampled.shape).toEqual([4, 1, 28, 28]);
    expect(fs.readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    expect(readSafetensors(tensors).tensors.samples.shape).toEqual([4, 1, 28, 28]);
    const traced = runCliJson([
      'denoise',
      '--checkpoint',
      out,
      '--noise-step',
      '20',
      '--n',
      '2',
      '--out',
      path.join(dir, 'd.png'),
      '--json',
    ]);
    expect(traced).toMatchObject({ noiseStep: 20, images: 2 });
    expect(traced.trace).toHaveLength(21);
    expect(traced.trace.at(-1).t).toBe(0);
    expect(traced.bestPsnr).toBe(Math.max(...traced.trace.map((s: { psnr: number }) => s.psnr)));
    const predicted = traced.trace.map((s: { predictedPsnr: number }) => s.predictedPsnr);
    expect(traced.bestPredictedPsnr).toBe(Math.max(...predicted));
    expect(traced.bestPredictedAtStep).toBe(traced.trace[predicted.indexOf(Math.max(...predicted))].t);
    expect(fs.existsSync(path.join(dir, 'd.png'))).toBe(true);
  });

  it('fail with one clear line on a bad config or a missing checkpoint', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ model: { preset: 'unet-mnist' }, train: { steps: 0, batchSize: 4 } }));
    const run = runCliSync(['train', '--config', bad]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("field 'train.steps' is 0: number must be greater than 0");
    const missing = runCliSync(['sample', '--checkpoint', path.join(dir, 'none')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('checkpoint folder');
  });

  it('saves a checkpoint and exits cleanly on Ctrl-C during training', async () => {
    const out = path.join(dir, 'run');
    // A checkpoint every 2 steps: the first one shows that training is under way.
    const config = writeTinyConfig(path.join(dir, 'tiny.json'), { checkpointEvery: 2 });
    const run = startCli(['train', '--config', config, '--steps', '500', '--out', out, '--json']);
    await until(() => fs.existsSync(path.join(out, 'state.json')), 'the first periodic checkpoint');
    run.child.kill('SIGINT');
    const { code } = await run.exit;
    expect(code).toBe(130); // the shell's convention for a run that Ctrl-C stopped (and that saved)
    const result = JSON.parse(run.stdout);
    expect(result.aborted).toBe(true);
    expect(result.steps).toBeLessThan(500);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'state.json'), 'utf8')).aborted).toBe(true);
    // The interrupted run goes on from where it stopped.
    const resumed = runCliJson(['train', '--resume', out, '--steps', String(result.steps + 2), '--json']);
    expect(resumed).toMatchObject({ steps: result.steps + 2, aborted: false });
  });

  it('--resume continues a run exactly: 3 + 3 steps save the same files as 6 steps', () => {
    const config = writeTinyConfig(path.join(dir, 'tiny.json'), { warmupSteps: 4 });
    const trainCli = (...args: string[]) => runCliJson(['train', ...args, '--json']);
    const whole = path.join(dir, 'whole');
    const split = path.join(dir, 'split');
    const straight = trainCli('--config', config, '--steps', '6', '--out', whole);
    trainCli('--config', config, '--steps', '3', '--out', split);
    const continued = trainCli('--resume', split, '--steps', '6');
    expect(continued.lastLoss).toBe(straight.lastLoss);
    for (const file of ['model.safetensors', 'ema.safetensors', 'optimizer.safetensors']) {
      expect(fs.readFileSync(path.join(split, file)).equals(fs.readFileSync(path.join(whole, file)))).toBe(true);
    }
    const done = runCliSync(['train', '--resume', split, '--steps', '6']);
    expect(done.status).toBe(1);
    expect(done.stderr).toContain('already at step 6');
    const stateFile = path.join(split, 'state.json');
    const goodState = fs.readFileSync(stateFile, 'utf8');
    fs.writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(goodState), generator: 'AAAA' }));
    const torn = runCliSync(['train', '--resume', split, '--steps', '9']);
    expect(torn.status).toBe(1);
    expect(torn.stderr).toContain(`missing-u: ${stateFile}: its generator state cannot be resumed`);
    fs.writeFileSync(stateFile, goodState);
    fs.rmSync(path.join(split, 'optimizer.safetensors'));
    const lost = runCliSync(['train', '--resume', split, '--steps', '9']);
    expect(lost.status).toBe(1);
    expect(lost.stderr).toContain('has no optimizer state');
  });
});
