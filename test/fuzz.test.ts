import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { importOfficial, jit, loadCheckpoint, tensor } from '../lib';
import { loadTrainConfig } from '../lib/config/train-config';
import { readOfficialFile } from '../lib/interop/official-file';
import { loadMnistIdx } from '../lib/data/mnist-idx';
import { MissingUError } from '../lib/errors';
import { readSafetensors, writeSafetensors } from '../lib/io/safetensors';
import { seededRandom as prng } from './helpers/random';
import { ArchiveMutator, smallTrainerArchive } from './helpers/torch-mutations';
import { readZip, writeZip } from './helpers/torch-zip';

const random = prng(13);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];

const WEIRD_NUMBERS = [-1, 0, 1, 2, 3, 7, 8, 1.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 64, 1e300, -1e300];
const WEIRD_VALUES: readonly unknown[] = [null, true, 'x', '', [], {}, [1], { a: 1 }, ...WEIRD_NUMBERS];
const weird = (): unknown => pick(WEIRD_VALUES);

function flipBits(bytes: Buffer, flips: number, within = bytes.length): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < flips && within > 0; i++) out[int(within)] ^= 1 << int(8);
  return out;
}

function spliceBytes(bytes: Buffer): Buffer {
  const at = int(bytes.length + 1);
  if (random() < 0.5)
    return Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + int(8)))]);
  return Buffer.concat([
    bytes.subarray(0, at),
    Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256))),
    bytes.subarray(at),
  ]);
}

/** Byte-level damage: bit flips (mostly near the start, where headers are), truncation, inserted or removed bytes. */
function damage(bytes: Buffer, headerBytes: number): Buffer {
  switch (int(4)) {
    case 0:
      return flipBits(bytes, 1 + int(4), Math.min(bytes.length, headerBytes));
    case 1:
      return flipBits(bytes, 1 + int(4));
    case 2:
      return bytes.subarray(0, int(bytes.length));
    default:
      return spliceBytes(bytes);
  }
}

// --- safetensors -------------------------------------------------------------------------------

type Header = Record<string, unknown>;

function safetensorsBytes(header: Header | string, data: Buffer, lengthField?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(lengthField ?? BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

function editHeader(header: Header, names: string[]): Header | string {
  const edited = structuredClone(header) as Record<string, Record<string, unknown>>;
  const name = pick(names);
  const entry = edited[name];
  switch (int(9)) {
    case 0: {
      const offsets = entry.data_offsets as unknown[];
      offsets[int(2)] = random() < 0.5 ? weird() : (offsets[int(2)] as number) + pick([-8, -4, -1, 1, 4, 8]);
      break;
    }
    case 1:
      entry.data_offsets = pick([[], [0], [0, 4, 8], [8, 0], null, 'x', [-4, 0]]);
      break;
    case 2: {
      const shape = entry.shape as unknown[];
      if (shape.length && random() < 0.7) shape[int(shape.length)] = weird();
      else shape.push(pick(WEIRD_NUMBERS));
      break;
    }
    case 3:
      entry.shape = pick([null, 3, 'x', [], [[2]], {}]);
      break;
    case 4:
      entry.dtype = pick(['F64', 'F16', 'BF16', 'I64', 'U8', 'BOOL', 'f32', 'F33', '', null, 4]);
      break;
    case 5:
      edited[name] = weird() as Record<string, unknown>;
      break;
    case 6:
      edited.__metadata__ = weird() as Record<string, unknown>;
      break;
    case 7: {
      // two tensors swap offsets: sizes may no longer match, or they overlap
      const other = edited[pick(names)];
      [entry.data_offsets, other.data_offsets] = [other.data_offsets, entry.data_offsets];
      break;
    }
    default: {
      // a key given twice (JSON.parse would keep the last)
      const text = JSON.stringify(edited);
      return `${text.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(entry)}}`;
    }
  }
  return edited;
}

function mutatedSafetensors(valid: Buffer, header: Header, data: Buffer, names: string[]): Buffer {
  const headerLength = Number(valid.readBigUInt64LE(0));
  switch (int(4)) {
    case 0:
      return damage(valid, 8 + headerLength);
    case 1: {
      const lengths = [0n, 1n, 2n, BigInt(headerLength - 1), BigInt(headerLength + 1), 2n ** 63n, 100_000_001n];
      return safetensorsBytes(header, data, pick(lengths));
    }
    case 2:
      return safetensorsBytes(
        header,
        Buffer.concat([data, Buffer.alloc(1 + int(8))]).subarray(0, data.length + pick([-4, -1, 1, 4])),
      );
    default:
      return safetensorsBytes(editHeader(header, names), data);
  }
}

// --- IDX -----------------------------------------------------------------------------------------

function idxImages(count: number, rows: number, cols: number): Buffer {
  const out = Buffer.alloc(16 + count * rows * cols);
  [0x803, count, rows, cols].forEach((v, i) => out.writeUInt32BE(v, 4 * i));
  for (let i = 16; i < out.length; i++) out[i] = int(256);
  return out;
}

function idxLabels(count: number): Buffer {
  const out = Buffer.alloc(8 + count);
  [0x801, count].forEach((v, i) => out.writeUInt32BE(v, 4 * i));
  return out;
}

function editIdxHeader(bytes: Buffer, headerBytes: number): Buffer {
  const out = Buffer.from(bytes);
  const field = int(headerBytes / 4);
  out.writeUInt32BE(pick([0, 1, 2, 3, 4, 5, 0x801, 0x803, 0x800, 0x0d03, 2 ** 16, 2 ** 31, 2 ** 32 - 1]), 4 * field);
  return out;
}

function mutatedIdx(valid: Buffer, headerBytes: number): Buffer {
  const raw = int(3) === 0 ? damage(valid, headerBytes) : editIdxHeader(valid, headerBytes);
  switch (int(3)) {
    case 0:
      return raw;
    case 1:
      return zlib.gzipSync(raw, { level: 1 });
    default:
      return damage(zlib.gzipSync(valid, { level: 1 }), 24);
  }
}

// --- configs -------------------------------------------------------------------------------------

const CONFIG = {
  name: 'fuzz',
  model: { preset: 'cunet-mnist', device: 'cpu' },
  data: { source: 'mnist-idx', images: 'train-images-idx3-ubyte.gz' },
  diffusion: { schedule: 'cosine', diffusionSteps: 100 },
  train: { steps: 10, batchSize: 4, lr: 0.0002 },
};

function leafPaths(value: unknown, at: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [at];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...at, k]));
}
const CONFIG_PATHS = leafPaths(CONFIG);

function mutatedConfig(): string {
  const text = JSON.stringify(CONFIG);
  switch (int(4)) {
    case 0: {
      const at = int(text.length);
      return (
        text.slice(0, at) +
        pick(['{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', 'e', ' ', '']) +
        text.slice(at + int(2))
      );
    }
    case 1: {
      const config = structuredClone(CONFIG) as Record<string, unknown>;
      const route = pick(CONFIG_PATHS);
      let node = config;
      for (const key of route.slice(0, -1)) node = node[key] as Record<string, unknown>;
      node[route[route.length - 1]] = weird();
      return JSON.stringify(config);
    }
    case 2:
      return `${text.slice(0, -1)},"train":${JSON.stringify(CONFIG.train)}}`;
    default:
      return flipBits(Buffer.from(text), 1 + int(3)).toString('latin1');
  }
}

// --- the run -------------------------------------------------------------------------------------

const TMP = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(TMP, 'missing-u-fuzz-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Tally {
  tried: number;
  accepted: number;
  refused: number;
  wrong: string[];
}

/** Feeds `bytes` through `load` from `file`: it loads, or throws a MissingUError naming `file`. */
function feed(tally: Tally, file: string, bytes: Buffer, load: () => void): void {
  fs.writeFileSync(file, bytes);
  tally.tried++;
  try {
    load();
    tally.accepted++;
  } catch (err) {
    if (err instanceof MissingUError && err.message.includes(file)) tally.refused++;
    else if (tally.wrong.length < 10) tally.wrong.push(`${String(err)} for ${bytes.toString('base64').slice(0, 200)}`);
  }
}

/** `feed` for loads that resolve: it loads, or rejects with a MissingUError naming `file`. */
async function feedAsync(tally: Tally, file: string, bytes: Buffer, load: () => Promise<void>): Promise<void> {
  fs.writeFileSync(file, bytes);
  tally.tried++;
  try {
    await load();
    tally.accepted++;
  } catch (err) {
    if (err instanceof MissingUError && err.message.includes(file)) tally.refused++;
    else if (tally.wrong.length < 10) tally.wrong.push(`${String(err)} for case ${tally.tried}`);
  }
}

function report(tallies: Record<string, Tally>): void {
  const all = Object.values(tallies);
  const total = (key: 'tried' | 'accepted' | 'refused') => all.reduce((sum, t) => sum + t[key], 0);
  const line = Object.entries(tallies)
    .map(([kind, t]) => `${kind} ${t.tried}/${t.accepted}/${t.refused}`)
    .join(', ');
  process.stdout.write(
    `fuzz: tried ${total('tried')}, accepted ${total('accepted')}, refused ${total('refused')} ` +
      `(tried/accepted/refused: ${line})\n`,
  );
  expect(all.flatMap((t) => t.wrong)).toEqual([]);
  expect(total('accepted') + total('refused')).toBe(total('tried'));
}

it('every mutated safetensors, IDX and config file loads or is refused by a MissingUError naming it', () => {
  const tallies: Record<string, Tally> = {};
  const tally = (kind: string) => (tallies[kind] ??= { tried: 0, accepted: 0, refused: 0, wrong: [] });

  const st = path.join(dir, 'model.safetensors');
  writeSafetensors(
    st,
    {
      w: { shape: [2, 3], data: Float32Array.from({ length: 6 }, (_, i) => i) },
      b: { shape: [3], data: new Float32Array([1, 2, 3]) },
      s: { shape: [], data: new Float32Array([9]) },
      e: { shape: [0, 4], data: new Float32Array(0) },
    },
    { step: '7' },
  );
  const valid = fs.readFileSync(st);
  const headerLength = Number(valid.readBigUInt64LE(0));
  const header = JSON.parse(valid.subarray(8, 8 + headerLength).toString()) as Header;
  const data = valid.subarray(8 + headerLength);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  for (let i = 0; i < 5000; i++) {
    feed(tally('safetensors'), st, mutatedSafetensors(valid, header, data, names), () => {
      for (const t of Object.values(readSafetensors(st).tensors)) {
        if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error('shape and data disagree');
      }
    });
  }

  const images = path.join(dir, 'images-idx3');
  const labels = path.join(dir, 'labels-idx1');
  const validImages = idxImages(3, 4, 4);
  const validLabels = idxLabels(3);
  for (let i = 0; i < 2000; i++) {
    feed(tally('idx images'), images, mutatedIdx(validImages, 16), () => loadMnistIdx(images));
  }
  fs.writeFileSync(images, validImages);
  for (let i = 0; i < 1000; i++) {
    feed(tally('idx labels'), labels, mutatedIdx(validLabels, 8), () => loadMnistIdx(images, labels));
  }

  const config = path.join(dir, 'config.json');
  for (let i = 0; i < 3000; i++) {
    feed(tally('config'), config, Buffer.from(mutatedConfig(), 'latin1'), () => loadTrainConfig(config));
  }

  report(tallies);
  const all = Object.values(tallies);
  expect(all.reduce((sum, t) => sum + t.tried, 0)).toBeGreaterThanOrEqual(10_000);
  for (const t of all) expect(t.refused).toBeGreaterThan(t.tried / 4);
});

// --- torch.save and TorchScript archives ---------------------------------------------------------

const FIXTURES = path.join(__dirname, 'fixtures');

it('every crafted torch.save or TorchScript archive loads (and runs) or is refused by a MissingUError naming it', async () => {
  const tallies: Record<string, Tally> = {};
  const tally = (kind: string) => (tallies[kind] ??= { tried: 0, accepted: 0, refused: 0, wrong: [] });
  const draw = prng(22);
  const official = readZip(fs.readFileSync(path.join(FIXTURES, 'official_cunet.pt')));
  const file = path.join(dir, 'model-1.pt');
  let imported = 0;
  const load = async () => {
    const out = path.join(dir, `imported-${imported++}`);
    try {
      await importOfficial(file, { preset: 'cunet-paper', out });
      const checkpoint = loadCheckpoint(out);
      checkpoint.model.dispose();
      checkpoint.ema.dispose();
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  };

  // A small file passes the reader or not, then importOfficial refuses it (no cunet-paper network in it).
  const small = new ArchiveMutator(
    draw,
    smallTrainerArchive(official),
    'official_cunet/data.pkl',
    'official_cunet/data/',
  );
  let read = 0;
  for (let i = 0; i < 3940; i++) {
    await feedAsync(tally('torch.save'), file, writeZip(small.mutated()), async () => {
      await readOfficialFile(file);
      read++;
      await load();
    });
  }
  const real = new ArchiveMutator(draw, official, 'official_cunet/data.pkl', 'official_cunet/data/');
  for (let i = 0; i < 60; i++) await feedAsync(tally('official'), file, writeZip(real.mutated()), load);

  const accel = readZip(fs.readFileSync(path.join(FIXTURES, 'accel_net.pt')));
  const script = new ArchiveMutator(draw, accel, 'accel_net/data.pkl', 'accel_net/data/');
  const scriptFile = path.join(dir, 'accel_net.pt');
  using h = tensor(new Float32Array(2 * 5 * 5).fill(0.5), [1, 2, 5, 5]);
  using s = tensor(new Float32Array([0.25]), [1]);
  let ran = 0;
  for (let i = 0; i < 1000; i++) {
    await feedAsync(tally('TorchScript'), scriptFile, writeZip(script.mutated()), async () => {
      using f = jit.load(scriptFile);
      // A loaded module runs, or fails with a MissingUError (weights of another shape, say).
      try {
        (await f.forward(h, h, s)).dispose();
        ran++;
      } catch (err) {
        if (!(err instanceof MissingUError)) throw err;
      }
    });
  }

  report(tallies);
  const all = Object.values(tallies);
  expect(all.reduce((sum, t) => sum + t.tried, 0)).toBeGreaterThanOrEqual(5000);
  // The mutations reach past the storage checks: some files load, some modules run.
  expect([read, tallies.official.accepted, tallies.TorchScript.accepted, ran].every((n) => n > 0)).toBe(true);
});
