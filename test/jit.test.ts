import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { jit, tensor, type Tensor } from '../lib';
import { maxAbsDifference } from './helpers/compare';
import { overclaimed } from './helpers/torch-mutations';
import { editPickle, pickleGlobal, tensorSites } from './helpers/torch-pickle';
import { readZip, writeZip } from './helpers/torch-zip';

interface Recorded {
  shape: number[];
  data: number[];
}

const FIXTURES = path.join(__dirname, 'fixtures');
const MODEL = path.join(FIXTURES, 'tiny_denoiser.pt');
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'tiny_denoiser.json'), 'utf8')) as Record<
  'x' | 't' | 'y',
  Recorded
>;
const input = (r: Recorded): Tensor => tensor(Float32Array.from(r.data), r.shape);

describe('TorchScript', () => {
  it('reproduces the outputs PyTorch computed for the fixture to 1e-5', async () => {
    using model = jit.load(MODEL);
    expect(model.signature).toBe('forward(x: Tensor, t: Tensor)');
    using x = input(expected.x);
    using t = input(expected.t);
    using y = await model.forward(x, t);
    expect(y.shape).toEqual(expected.y.shape);
    const got = y.toFloat32Array();
    expect(maxAbsDifference(got, expected.y.data)).toBeLessThan(1e-5);
  });

  it('runs forward off the event loop', async () => {
    using model = jit.load(MODEL);
    using x = input(expected.x);
    using t = input(expected.t);
    let ticked = false;
    setImmediate(() => (ticked = true));
    const pending = model.forward(x, t);
    expect(ticked).toBe(false);
    (await pending).dispose();
    expect(ticked).toBe(true);
  });

  it('says when the file is missing', () => {
    expect(() => jit.load(path.join(FIXTURES, 'nope.pt'))).toThrow(/TorchScript file not found: .*nope\.pt/);
  });

  it('says when the file is corrupt', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-jit-'));
    const truncated = path.join(dir, 'truncated.pt');
    fs.writeFileSync(truncated, fs.readFileSync(MODEL).subarray(0, 4000));
    const text = path.join(dir, 'text.pt');
    fs.writeFileSync(text, 'not a model');
    try {
      expect(() => jit.load(truncated)).toThrow(/cannot load TorchScript file .*truncated\.pt: it is corrupt/);
      expect(() => jit.load(text)).toThrow(/cannot load TorchScript file .*text\.pt: it is corrupt/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says how many inputs forward takes when given the wrong number', async () => {
    using model = jit.load(MODEL);
    using x = input(expected.x);
    expect(() => model.forward(x)).toThrow('forward(x: Tensor, t: Tensor) takes 2 input(s) but was given 1');
    expect(() => model.forward(x, x, x)).toThrow('takes 2 input(s) but was given 3');
    expect(() => model.forward(x, 3)).toThrow("forward argument 't' must be a Tensor");
  });

  it('rejects with torch’s reason when an input has the wrong shape', async () => {
    using model = jit.load(MODEL);
    using x = tensor(new Float32Array(2 * 3 * 8 * 8), [2, 3, 8, 8]);
    using t = input(expected.t);
    await expect(model.forward(x, t)).rejects.toThrow(
      /^TorchScript forward failed: RuntimeError: .*expected input\[2, 3, 8, 8\] to have 1 channels/,
    );
  });

  it('refuses tensor storages that claim more than their records hold, or a dtype it does not read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-jit-'));
    const records = readZip(fs.readFileSync(path.join(FIXTURES, 'accel_net.pt')));
    const pickle = records.get('accel_net/data.pkl') as Buffer;
    const overclaiming = path.join(dir, 'overclaimed.pt');
    fs.writeFileSync(overclaiming, writeZip(overclaimed(records, 'accel_net/data.pkl', 2 ** 28)));
    const quantized = path.join(dir, 'quantized.pt');
    const span = tensorSites(pickle)[0].spans.dtype;
    const edited = editPickle(pickle, [{ span, bytes: pickleGlobal('torch', 'QInt8Storage') }]);
    fs.writeFileSync(quantized, writeZip(new Map(records).set('accel_net/data.pkl', edited)));
    try {
      expect(() => jit.load(overclaiming)).toThrow(
        `${overclaiming}: tensor storage 0 claims 1073741824 bytes (268435456 Float elements) but its record ` +
          'data/0 holds 16: the file is corrupt',
      );
      expect(() => jit.load(quantized)).toThrow(
        `${quantized}: tensor storage 0 has type torch.QInt8Storage, which missing-u does not read`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cannot be used after dispose', () => {
    const model = jit.load(MODEL);
    model.dispose();
    expect(() => model.signature).toThrow('this ScriptModule was disposed');
  });
});
