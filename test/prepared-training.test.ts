import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import sharp from 'sharp';

import { data, distributedAvailable, train, type TrainConfig } from '../lib';
import { freePort } from '../lib/cli/launch';
import { readPreparedImages } from '../lib/data/prepared-in-memory';
import { maxAbsDifference } from './helpers/compare';

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-prepared-train-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const SIDE = 8;
/** An 8x8 grey image whose left half is dark and right half a ramp: its mirror is another image. */
function asymmetric(): Buffer {
  const pixels = Buffer.alloc(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) pixels[y * SIDE + x] = x < 3 ? 10 : 40 * (x - 2) + y;
  return pixels;
}

/** A prepared set of `count` random 8x8 grey images (seeded), made once per count. */
const made = new Map<number, string>();
async function preparedSet(count: number): Promise<string> {
  const known = made.get(count);
  if (known) return known;
  const folder = path.join(dir, `random-${count}`);
  fs.mkdirSync(folder);
  let state = count;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) >> 16) & 255;
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.from(Array.from({ length: SIDE * SIDE }, next));
    await sharp(pixels, { raw: { width: SIDE, height: SIDE, channels: 1 } })
      .png()
      .toFile(path.join(folder, `${String(i).padStart(3, '0')}.png`));
  }
  const out = `${folder}-prepared`;
  await data.prepare(folder, { out, imageSize: SIDE, channels: 1 });
  made.set(count, out);
  return out;
}

const model = { preset: 'unet-mnist', width: 8 } as const;

const weights = (r: {
  model: { stateDict(): Array<{ tensor: { toFloat32Array(): Float32Array; dispose(): void } }> };
}) =>
  r.model.stateDict().map((e) => {
    const values = Array.from(e.tensor.toFloat32Array());
    e.tensor.dispose();
    return values;
  });

describe('training from a prepared dataset', () => {
  it('trains exactly as from the same images in memory', async () => {
    const prepared = await preparedSet(12);
    const config = (images: TrainConfig['data']): TrainConfig => ({
      model,
      data: images,
      train: { steps: 3, batchSize: 4, seed: 5 },
    });
    const fromFile = await train(config({ source: 'prepared', path: prepared }));
    const inMemory = await train(config(readPreparedImages(prepared)));
    expect(Array.from(fromFile.losses)).toEqual(Array.from(inMemory.losses));
    expect(weights(fromFile)).toEqual(weights(inMemory));
    expect(fromFile.dataWaitSeconds).toBeGreaterThanOrEqual(0);
    for (const r of [fromFile, inMemory]) [r.model, r.ema].forEach((m) => m.dispose());
  });

  it('repeats exactly and resumes exactly with random flips and accumulation', async () => {
    const prepared = await preparedSet(12);
    const config = (steps: number): TrainConfig => ({
      model,
      data: { source: 'prepared', path: prepared, horizontalFlip: true },
      train: { steps, batchSize: 3, accumulate: 2, seed: 11, ema: { decay: 0.9, every: 1 } },
    });
    const waits: number[] = [];
    const whole = await train(config(4), { onProgress: (p) => waits.push(p.dataWaitSeconds) });
    const again = await train(config(4));
    expect(Array.from(again.losses)).toEqual(Array.from(whole.losses));
    const first = await train(config(2));
    const rest = await train(config(4), { resume: first });
    expect([...first.losses, ...rest.losses]).toEqual(Array.from(whole.losses));
    expect(weights(rest)).toEqual(weights(whole));
    expect(waits).toHaveLength(4);
    waits.forEach((w, i) => expect(w).toBeGreaterThanOrEqual(i > 0 ? waits[i - 1] : 0));
    // Flips change what is drawn: the same run without them trains on other images.
    const plain = await train({ ...config(4), data: { source: 'prepared', path: prepared } });
    expect(Array.from(plain.losses)).not.toEqual(Array.from(whole.losses));
    for (const r of [whole, again, first, rest, plain]) [r.model, r.ema].forEach((m) => m.dispose());
  });
});

describe('data.drawBatch: what a run trains on', () => {
  let prepared: string;
  beforeAll(async () => {
    const folder = path.join(dir, 'one-image');
    fs.mkdirSync(folder);
    await sharp(asymmetric(), { raw: { width: SIDE, height: SIDE, channels: 1 } })
      .png()
      .toFile(path.join(folder, 'a.png'));
    prepared = path.join(dir, 'one-image-prepared');
    await data.prepare(folder, { out: prepared, imageSize: SIDE, channels: 1 });
  });

  const unit = (b: number) => b / 127.5 - 1;
  const image = Float32Array.from(asymmetric(), unit);
  const mirrored = Float32Array.from({ length: SIDE * SIDE }, (_, i) => image[i - (i % SIDE) + SIDE - 1 - (i % SIDE)]);

  it('mirrors about half the draws with horizontalFlip, exactly, and none without', async () => {
    const pixels = SIDE * SIDE;
    const kinds = async (horizontalFlip: boolean) => {
      using batch = await data.drawBatch({ source: 'prepared', path: prepared, horizontalFlip }, { n: 64, seed: 3 });
      expect(batch.shape).toEqual([64, 1, SIDE, SIDE]);
      const values = batch.toFloat32Array();
      return Array.from({ length: 64 }, (_, i) => {
        const one = Array.from(values.subarray(i * pixels, (i + 1) * pixels));
        if (one.every((v, p) => v === image[p])) return 'as is';
        if (one.every((v, p) => v === mirrored[p])) return 'mirrored';
        return 'other';
      });
    };
    const flipped = await kinds(true);
    expect(flipped).not.toContain('other');
    const count = flipped.filter((k) => k === 'mirrored').length;
    expect(count).toBeGreaterThan(16);
    expect(count).toBeLessThan(48);
    expect(new Set(await kinds(false))).toEqual(new Set(['as is']));
  });

  it('repeats for a seed and changes with it', async () => {
    const section = { source: 'prepared', path: await preparedSet(12), horizontalFlip: true } as const;
    using first = await data.drawBatch(section, { n: 4, seed: 9 });
    using again = await data.drawBatch(section, { n: 4, seed: 9 });
    using other = await data.drawBatch(section, { n: 4, seed: 10 });
    expect(Array.from(again.toFloat32Array())).toEqual(Array.from(first.toFloat32Array()));
    expect(Array.from(other.toFloat32Array())).not.toEqual(Array.from(first.toFloat32Array()));
  });
});

describe('prepared datasets that do not fit', () => {
  it('refuses a data file shorter than its manifest says, naming it', async () => {
    const prepared = await preparedSet(12);
    const copy = path.join(dir, 'shrunk');
    fs.cpSync(prepared, copy, { recursive: true });
    const file = path.join(copy, 'images.u8');
    fs.truncateSync(file, SIDE * SIDE * 5);
    await expect(data.drawBatch({ source: 'prepared', path: copy }, { n: 4 })).rejects.toThrow(
      `${file} holds 320 bytes`,
    );
  });
});

describe('data-parallel ranks over one prepared file', () => {
  const WORKER = path.join(__dirname, 'fixtures', 'dp-worker.js');
  (distributedAvailable() ? it : it.skip)('train as one process with their global batch, flips included', async () => {
    const prepared = await preparedSet(12);
    const section = { source: 'prepared', path: prepared, horizontalFlip: true } as const;
    const run = { steps: 3, batchSize: 2, seed: 4 };
    const port = await freePort();
    const ranks = [0, 1].map((rank) =>
      spawn(process.execPath, [WORKER], {
        env: {
          ...process.env,
          RANK: String(rank),
          WORLD_SIZE: '2',
          MASTER_ADDR: '127.0.0.1',
          MASTER_PORT: String(port),
          MISSING_U_NUM_THREADS: '1',
          DP_RUN: JSON.stringify(run),
          DP_OUT: dir,
          DP_DATA: JSON.stringify(section),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    const outputs = ranks.map((child) => {
      let text = '';
      child.stdout!.on('data', (d: Buffer) => (text += d));
      return new Promise<string>((resolve) => child.on('exit', (code) => resolve(code === 0 ? text : `exit ${code}`)));
    });
    const [out0, out1] = await Promise.all(outputs);
    const losses = [out0, out1].map((text) => JSON.parse(text).losses as number[]);
    expect(losses[1]).toEqual(losses[0]);
    const single = await train({
      model: { preset: 'unet-mnist' },
      data: section,
      train: { steps: run.steps, batchSize: 4, seed: run.seed, warmupSteps: 2, ema: { decay: 0.9, every: 1 } },
      diffusion: { objective: 'v' },
    });
    losses[0].forEach((loss, i) => expect(loss).toBeCloseTo(single.losses[i], 5));
    const rank0 = new Float32Array(new Uint8Array(fs.readFileSync(path.join(dir, 'rank0.bin'))).buffer);
    const reference = [single.model, single.ema].flatMap((m) =>
      m.stateDict().flatMap((e) => Array.from(e.tensor.toFloat32Array())),
    );
    expect(maxAbsDifference(rank0, reference)).toBeLessThan(1e-5);
    single.model.dispose();
    single.ema.dispose();
  });
});

describe('a prepared set the model cannot take', () => {
  it('is refused before training, naming the set', async () => {
    const prepared = await preparedSet(12);
    await expect(
      train({
        model: { preset: 'cunet-paper' },
        data: { source: 'prepared', path: prepared },
        train: { steps: 1, batchSize: 1 },
      }),
    ).rejects.toThrow(`prepared dataset ${prepared}: imageSize 8 does not suit model preset 'cunet-paper'`);
  });
});
