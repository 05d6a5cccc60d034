import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadImageSource } from '../lib/eval/image-source';
import { writeSafetensors } from '../lib/io/safetensors';
import { eval as evaluate, tensor, type Tensor } from '../lib';
import { runCliSync } from './helpers/cli-run';
import { missingUError, missingURejection } from './helpers/errors';

// NaN or infinite pixels gave NaN statistics and exit 0 ("infinite PSNR: identical images"), or a raw
// linalg.eigh failure from FID: each way images enter an evaluation refuses them, naming where they came from.

const N = 4;
const PIXELS = N * 28 * 28;
const good = Float32Array.from({ length: PIXELS }, (_, i) => Math.sin(i) * 0.9);
const bad = Float32Array.from(good);
bad[1000] = Number.NaN; // images 1, 2 and 3: image 0 is finite
bad[2000] = Number.POSITIVE_INFINITY;
bad[3000] = Number.NEGATIVE_INFINITY;
const WHY = 'metrics of such images are meaningless: give finite images (a diverged model makes NaN)';

let dir: string;
let goodFile: string;
let badFile: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-eval-inputs-'));
  goodFile = path.join(dir, 'good.safetensors');
  badFile = path.join(dir, 'bad.safetensors');
  writeSafetensors(goodFile, { samples: { shape: [N, 1, 28, 28], data: good } });
  writeSafetensors(badFile, { samples: { shape: [N, 1, 28, 28], data: bad } });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const fileMessage = () => `${badFile}: tensor 'samples' holds 3 non-finite values (NaN or +-Infinity) among ${PIXELS}`;

describe('the eval commands', () => {
  it.each([
    ['psnr', ['--a', 'BAD', '--b', 'GOOD']],
    ['ssim', ['--a', 'GOOD', '--b', 'BAD']],
    ['digits', ['--images', 'BAD', '--n', String(N)]],
    ['fid', ['--real', 'GOOD', '--fake', 'BAD', '--n', String(N), '--no-cache']],
    ['fid', ['--real', 'BAD', '--fake', 'GOOD', '--n', String(N), '--no-cache']],
  ])('%s refuses a file of non-finite images by name and count (%#)', (command, args) => {
    const run = runCliSync([
      'eval',
      command,
      ...args.map((a) => (a === 'BAD' ? badFile : a === 'GOOD' ? goodFile : a)),
    ]);
    expect(run.stderr).toContain(`missing-u: ${fileMessage()}; ${WHY}`);
    expect(run.stdout).toBe('');
    expect(run.status).not.toBe(0);
  });

  it('load the first --n images only, so bad images after them are not counted', async () => {
    using first = await loadImageSource(badFile, { n: 1 });
    expect(first.shape).toEqual([1, 1, 28, 28]);
    const error = await missingURejection(loadImageSource(badFile, { n: 2 }));
    expect(error.message).toBe(
      `${badFile}: tensor 'samples' holds 1 non-finite value (NaN or +-Infinity) among 1568; ${WHY}`,
    );
    expect(error.code).toBe('numeric');
  });
});

describe('the evaluation API', () => {
  let a: Tensor;
  let b: Tensor;
  beforeAll(() => {
    a = tensor(good, [N, 1, 28, 28]);
    b = tensor(bad, [N, 1, 28, 28]);
  });
  afterAll(() => {
    a.dispose();
    b.dispose();
  });
  const message = (what: string) => `${what} holds 3 non-finite values (NaN or +-Infinity) among ${PIXELS}; ${WHY}`;

  it('ssim, psnr and lpips name the argument that holds them', async () => {
    for (const [name, run] of [
      ['ssim', evaluate.ssim],
      ['psnr', evaluate.psnr],
    ] as const) {
      const error = await missingURejection(run(a, b));
      expect(error.message).toBe(message(`${name}: b`));
      expect(error.code).toBe('numeric');
      expect((await missingURejection(run(b, a))).message).toBe(message(`${name}: a`));
    }
    using network = evaluate.loadExtractor('mnist').module;
    expect((await missingURejection(evaluate.lpips(network, b, a))).message).toBe(message('lpips: a'));
  });

  it('featureStats, fid and digitConfidence refuse them before the extractor runs', async () => {
    const extractor = evaluate.loadExtractor('mnist');
    try {
      expect((await missingURejection(evaluate.featureStats(extractor.module, b))).message).toBe(
        message('featureStats: images'),
      );
      expect((await missingURejection(evaluate.fid(extractor, a, b))).message).toBe(message('fid: fake'));
      expect((await missingURejection(evaluate.fid(extractor, b, a))).message).toBe(message('fid: real'));
      expect((await missingURejection(evaluate.digitConfidence(b))).message).toBe(message('digitConfidence: images'));
    } finally {
      extractor.module.dispose();
    }
  });

  it('frechetDistance and loadFeatureStats refuse non-finite statistics by name', () => {
    const stats = (mean: number[]) => ({
      count: 10,
      dim: 2,
      mean: Float64Array.from(mean),
      covariance: Float64Array.from([1, 0, 0, 1]),
      extractor: 'x',
    });
    const broken = stats([0, Number.NaN]);
    const why =
      'a Frechet distance of them is meaningless: the features came from non-finite images or a broken extractor';
    expect(missingUError(() => evaluate.frechetDistance(stats([0, 0]), broken)).message).toBe(
      `frechetDistance: the mean of b holds 1 non-finite value (NaN or +-Infinity) among 2; ${why}`,
    );
    const file = path.join(dir, 'broken.stats.safetensors');
    evaluate.saveFeatureStats(file, broken);
    const error = missingUError(() => evaluate.loadFeatureStats(file));
    expect(error.message).toBe(
      `feature statistics ${file}: its mean holds 1 non-finite value (NaN or +-Infinity) among 2; ${why}`,
    );
    expect(error.code).toBe('numeric');
  });
});
