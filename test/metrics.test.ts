import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { jit, tensor } from '../lib';
import { readSafetensors } from '../lib/io/safetensors';
import { MissingUError } from '../lib/errors';
import { native } from '../lib/native';
import {
  featureStats,
  features,
  frechetDistance,
  loadFeatureStats,
  lpips,
  mergeFeatureStats,
  psnr,
  saveFeatureStats,
  ssim,
  type FeatureStats,
} from '../lib/eval/metrics';
import { maxAbsDifference } from './helpers/compare';

const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures');

interface ImageSet {
  shape: number[];
  a: number[];
  b: number[];
  ssim: number[];
  psnr: number[];
}
interface FeatureSet {
  count: number;
  data: number[];
  mean: number[];
  covariance: number[];
}
interface Reference {
  images: Record<'gray' | 'rgb', ImageSet>;
  lpipsContract: { file: string; lpips: number[] };
  features: { dim: number; sets: Record<'a' | 'b' | 'small', FeatureSet>; fid: Record<string, { value: number }> };
}

// Written by test/fixtures/make_metric_references.py (scikit-image 0.26, scipy 1.17, PyTorch 2.13).
const ref: Reference = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'metrics_reference.json'), 'utf8'));
const D = ref.features.dim;

const images = (set: ImageSet, which: 'a' | 'b') => tensor(Float32Array.from(set[which]), set.shape);
// Feature vectors as (N, 1, 4, 4) "images": identity_extractor.pt returns its input flattened to (N, 16).
const featureImages = (data: ArrayLike<number>) => tensor(Float32Array.from(data), [data.length / D, 1, 4, D / 4]);

describe('ssim and psnr', () => {
  it.each(['gray', 'rgb'] as const)('equal scikit-image on %s pairs', async (kind) => {
    const set = ref.images[kind];
    using a = images(set, 'a');
    using b = images(set, 'b');
    const s = await ssim(a, b);
    const p = await psnr(a, b, { dataRange: 2 });
    expect(Object.prototype.toString.call(s)).toBe('[object Float64Array]');
    expect(maxAbsDifference(s, set.ssim)).toBeLessThan(1e-4);
    expect(maxAbsDifference(p, set.psnr)).toBeLessThan(1e-6);
  });

  it('give 1 and Infinity for identical images', async () => {
    using a = images(ref.images.rgb, 'a');
    const s = await ssim(a, a);
    expect(maxAbsDifference(s, [1, 1])).toBeLessThan(1e-12);
    expect(Array.from(await psnr(a, a))).toEqual([Infinity, Infinity]);
  });

  it('scale with dataRange as skimage does (C1, C2 and the PSNR peak)', async () => {
    const set = ref.images.gray;
    using a = images(set, 'a');
    using b = images(set, 'b');
    const p255 = await psnr(a, b, { dataRange: 255 });
    const expected = set.psnr.map((v) => v + 20 * Math.log10(255 / 2));
    expect(maxAbsDifference(p255, expected)).toBeLessThan(1e-9);
    const s1 = await ssim(a, b, { dataRange: 1 });
    expect(maxAbsDifference(s1, set.ssim)).toBeGreaterThan(1e-4); // smaller constants, different values
  });

  it('refuse mismatched shapes, images smaller than the window and non-positive ranges', async () => {
    using a = tensor(new Float32Array(2 * 28 * 28), [2, 1, 28, 28]);
    using b = tensor(new Float32Array(2 * 27 * 28), [2, 1, 27, 28]);
    using small = tensor(new Float32Array(10 * 10), [1, 1, 10, 10]);
    using flat = tensor(new Float32Array(28 * 28), [1, 28, 28]);
    await expect(ssim(a, b)).rejects.toThrow(
      'ssim: a is [2, 1, 28, 28] but b is [2, 1, 27, 28]: images must have the same shape',
    );
    await expect(psnr(a, b)).rejects.toThrow('psnr: a is [2, 1, 28, 28] but b is [2, 1, 27, 28]');
    await expect(ssim(small, small)).rejects.toThrow(
      /images are 10x10 but SSIM's Gaussian window needs at least 11x11/,
    );
    await expect(ssim(flat, flat)).rejects.toThrow('ssim: images must be (N, C, H, W), got [1, 28, 28]');
    await expect(ssim(a, a, { dataRange: 0 })).rejects.toThrow(/ssim: dataRange must be > 0/);
    await expect(psnr(a, a, { dataRange: -1 })).rejects.toThrow(/psnr: dataRange must be > 0/);
  });
});

describe('feature statistics and the Frechet distance', () => {
  const identity = () => jit.load(path.join(FIXTURES, 'identity_extractor.pt'));
  const stats = async (set: FeatureSet, batchSize: number, extractorName = 'identity') => {
    using extractor = identity();
    using x = featureImages(set.data);
    return featureStats(extractor, x, { batchSize, extractorName });
  };

  it('mean and covariance equal numpy (covariance unbiased, as numpy.cov(rowvar=False))', async () => {
    const s = await stats(ref.features.sets.a, 64);
    expect(s).toMatchObject({ count: 300, dim: D, extractor: 'identity' });
    expect(maxAbsDifference(s.mean, ref.features.sets.a.mean)).toBeLessThan(1e-12);
    expect(maxAbsDifference(s.covariance, ref.features.sets.a.covariance)).toBeLessThan(1e-12);
  });

  it('do not depend on how the images are batched or split', async () => {
    const set = ref.features.sets.a;
    const oneShot = await stats(set, 300);
    for (const batchSize of [7, 100, 193]) {
      const s = await stats(set, batchSize);
      expect(maxAbsDifference(s.mean, oneShot.mean)).toBeLessThan(1e-12);
      expect(maxAbsDifference(s.covariance, oneShot.covariance)).toBeLessThan(1e-12);
    }
    // Uneven shards of 7, 100 and 193 images, merged.
    const shard = (from: number, to: number) => stats({ ...set, data: set.data.slice(from * D, to * D) }, 64);
    const merged = mergeFeatureStats(mergeFeatureStats(await shard(0, 7), await shard(7, 107)), await shard(107, 300));
    expect(merged.count).toBe(300);
    expect(maxAbsDifference(merged.mean, oneShot.mean)).toBeLessThan(1e-12);
    expect(maxAbsDifference(merged.covariance, oneShot.covariance)).toBeLessThan(1e-12);
  });

  it('FID equals pytorch-fid (scipy.linalg.sqrtm) within 1e-3 relative, rank-deficient covariances included', async () => {
    const all: Record<string, FeatureStats> = {
      a: await stats(ref.features.sets.a, 7),
      b: await stats(ref.features.sets.b, 100),
      small: await stats(ref.features.sets.small, 3),
    };
    for (const [pair, { value }] of Object.entries(ref.features.fid)) {
      const [x, y] = pair.split('-');
      const fid = frechetDistance(all[x], all[y]);
      if (x === y) {
        expect(Math.abs(fid)).toBeLessThan(1e-9);
      } else {
        expect(Math.abs(fid - value) / value).toBeLessThan(1e-3);
        expect(Math.abs(fid - value) / value).toBeLessThan(1e-7); // in fact far closer
      }
    }
  });

  it('reports progress per batch and stops on abort', async () => {
    using extractor = identity();
    using x = featureImages(ref.features.sets.a.data);
    const seen: Array<{ done: number; total: number }> = [];
    await featureStats(extractor, x, { batchSize: 128, onProgress: (p) => seen.push(p) });
    expect(seen).toEqual([
      { done: 128, total: 300 },
      { done: 256, total: 300 },
      { done: 300, total: 300 },
    ]);
    await expect(featureStats(extractor, x, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
    // The native side checks the flag (set by the AbortSignal) after every batch: raised up front, it stops
    // after the first batch, deterministically.
    const raised = new Int32Array([1]);
    const partial = await native.metricsFeatureStats(extractor, x, { batchSize: 50 }, undefined, raised);
    expect(partial).toMatchObject({ aborted: true, count: 50, dim: D });
  });

  it('refuses statistics of different extractors or dimensions', async () => {
    const a = await stats(ref.features.sets.a, 64, 'inception');
    const b = await stats(ref.features.sets.b, 64, 'mnist');
    expect(() => frechetDistance(a, b)).toThrow(MissingUError);
    expect(() => frechetDistance(a, b)).toThrow(/different feature extractors \('inception' and 'mnist'\)/);
    const narrow: FeatureStats = { ...a, dim: 4, mean: a.mean.slice(0, 4), covariance: new Float64Array(16) };
    expect(() => frechetDistance(a, narrow)).toThrow(/16 and 4 dimensions/);
  });

  it('saves and loads statistics as safetensors F64 tensors, bit for bit', async () => {
    const s = await stats(ref.features.sets.b, 64, 'identity-16');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mu-stats-')), 'b.safetensors');
    saveFeatureStats(file, s);
    const back = loadFeatureStats(file);
    expect(back).toEqual(s);
    expect(frechetDistance(back, s)).toBeCloseTo(0, 9);
    const raw = readSafetensors(file, { float64: true });
    expect(raw.metadata).toEqual({ extractor: 'identity-16', count: '300', dim: String(D) });
    expect(raw.tensors.covariance.shape).toEqual([D, D]);
    expect(() => readSafetensors(file)).toThrow(/tensor '\w+' is F64; missing-u reads F32/);
  });

  it('refuse an extractor that does not return a Tensor', async () => {
    using network = jit.load(path.join(FIXTURES, 'lpips_contract.pt'));
    using x = images(ref.images.rgb, 'a');
    await expect(featureStats(network, x)).rejects.toThrow(
      /the feature extractor returned GenericList; it must return a Tensor of features \(B, D\)/,
    );
  });
});

describe('feature extraction options', () => {
  it('map the range, resize and repeat channels before the extractor', async () => {
    using extractor = jit.load(path.join(FIXTURES, 'identity_extractor.pt'));
    using x = tensor(Float32Array.from([-1, 0, 0.5, 1]), [1, 1, 2, 2]);
    using f255 = await features(extractor, x, { inputRange: '0,255' });
    expect(Array.from(f255.toFloat32Array())).toEqual([0, 127.5, 191.25, 255]);
    using f01 = await features(extractor, x, { inputRange: '0,1', channels: 3 });
    expect(f01.shape).toEqual([1, 12]);
    expect(Array.from(f01.toFloat32Array())).toEqual([0, 0.5, 0.75, 1, 0, 0.5, 0.75, 1, 0, 0.5, 0.75, 1]);
    using big = await features(extractor, x, { size: 4 });
    // Bilinear, align_corners false: the first row of a 2x2 -> 4x4 upscale is a, .75a + .25b, .25a + .75b, b.
    expect(Array.from(big.toFloat32Array().slice(0, 4))).toEqual([-1, -0.75, -0.25, 0]);
    await expect(features(extractor, x, { channels: 1, inputRange: '0,1' })).resolves.toBeDefined();
  });
});

describe('lpips', () => {
  it('follows the LPIPS v0.1 formula for a module honouring the contract', async () => {
    using network = jit.load(path.join(FIXTURES, ref.lpipsContract.file));
    using a = images(ref.images.rgb, 'a');
    using b = images(ref.images.rgb, 'b');
    const values = await lpips(network, a, b, { batchSize: 1 });
    expect(maxAbsDifference(values, ref.lpipsContract.lpips)).toBeLessThan(1e-6);
    expect(Array.from(await lpips(network, a, a))).toEqual([0, 0]);
  });

  it('refuses a missing file, a module without weights(), heads that do not fit and bad images', async () => {
    using a = images(ref.images.rgb, 'a');
    await expect(lpips(undefined, a, a)).rejects.toThrow(MissingUError);
    await expect(lpips(undefined, a, a)).rejects.toThrow(
      /LPIPS needs a TorchScript backbone\+heads file.*docs\/lpips\.md/,
    );
    using identity = jit.load(path.join(FIXTURES, 'identity_extractor.pt'));
    await expect(lpips(identity, a, a)).rejects.toThrow(/lpips: the TorchScript module has no weights\(\) method/);
    using bad = jit.load(path.join(FIXTURES, 'lpips_bad_heads.pt'));
    await expect(lpips(bad, a, a)).rejects.toThrow(/feature map 1 has 6 channels but its head weights\(\) has 5/);
    using network = jit.load(path.join(FIXTURES, ref.lpipsContract.file));
    using two = tensor(new Float32Array(2 * 2 * 32 * 32), [2, 2, 32, 32]);
    await expect(lpips(network, two, two)).rejects.toThrow(/lpips: images must be RGB \(3 channels\) or grey/);
    using gray = images(ref.images.gray, 'a');
    using gray3 = tensor(
      Float32Array.from(
        { length: 4 * 3 * 28 * 28 },
        (_, i) => ref.images.gray.a[Math.floor(i / (3 * 784)) * 784 + (i % 784)],
      ),
      [4, 3, 28, 28],
    );
    using grayB = images(ref.images.gray, 'b');
    using grayB3 = tensor(
      Float32Array.from(
        { length: 4 * 3 * 28 * 28 },
        (_, i) => ref.images.gray.b[Math.floor(i / (3 * 784)) * 784 + (i % 784)],
      ),
      [4, 3, 28, 28],
    );
    expect(maxAbsDifference(await lpips(network, gray, grayB), await lpips(network, gray3, grayB3))).toBe(0);
  });

  it('minSide enlarges grey images natively exactly as repeating each pixel k x k in RGB does', async () => {
    // The CLI and the denoising study give 28 px digits with minSide 64: k = 3, 84 px RGB.
    const enlarge = (set: ImageSet, which: 'a' | 'b', k: number) => {
      const [n, , h, w] = set.shape;
      const [H, W] = [h * k, w * k];
      const out = new Float32Array(n * 3 * H * W);
      out.forEach((_, i) => {
        const x = i % W;
        const y = Math.floor(i / W) % H;
        const image = Math.floor(i / (3 * H * W));
        out[i] = set[which][image * h * w + Math.floor(y / k) * w + Math.floor(x / k)];
      });
      return tensor(out, [n, 3, H, W]);
    };
    using network = jit.load(path.join(FIXTURES, ref.lpipsContract.file));
    using gray = images(ref.images.gray, 'a');
    using grayB = images(ref.images.gray, 'b');
    using bigA = enlarge(ref.images.gray, 'a', 3);
    using bigB = enlarge(ref.images.gray, 'b', 3);
    const native = await lpips(network, gray, grayB, { minSide: 64 });
    expect(Array.from(native)).toEqual(Array.from(await lpips(network, bigA, bigB)));
    expect(Array.from(native)).not.toEqual(Array.from(await lpips(network, gray, grayB)));
  });

  const tinyPt = path.join(FIXTURES, 'tiny_lpips.pt');
  const tinyJson = path.join(FIXTURES, 'tiny_lpips.json');
  (fs.existsSync(tinyPt) && fs.existsSync(tinyJson) ? it : it.skip)(
    'equals PyTorch on tiny_lpips.pt to 1e-5',
    async () => {
      const tiny: { pairs: Array<{ label: string; shape: number[]; x: number[]; y: number[]; lpips: number[] }> } =
        JSON.parse(fs.readFileSync(tinyJson, 'utf8'));
      using network = jit.load(tinyPt);
      for (const pair of tiny.pairs) {
        using x = tensor(Float32Array.from(pair.x), pair.shape);
        using y = tensor(Float32Array.from(pair.y), pair.shape);
        const values = await lpips(network, x, y);
        expect([pair.label, maxAbsDifference(values, pair.lpips) < 1e-5]).toEqual([pair.label, true]);
      }
    },
  );
});

describe('the MNIST feature extractor', () => {
  const pt = path.join(ROOT, 'assets', 'mnist-features.pt');
  const json = path.join(FIXTURES, 'mnist_features_reference.json');
  (fs.existsSync(pt) && fs.existsSync(json) ? it : it.skip)(
    'gives the reference features of its reference digits (1e-4)',
    async () => {
      const mnist: { shape: number[]; inputs: number[][]; features: number[][] } = JSON.parse(
        fs.readFileSync(json, 'utf8'),
      );
      using extractor = jit.load(pt);
      using x = tensor(Float32Array.from(mnist.inputs.flat()), mnist.shape);
      using f = await features(extractor, x, { batchSize: 3 });
      expect(f.shape).toEqual([mnist.shape[0], mnist.features[0].length]);
      expect(maxAbsDifference(f.toFloat32Array(), mnist.features.flat())).toBeLessThan(1e-4);
      const s = await featureStats(extractor, x, { extractorName: 'mnist' });
      const n = mnist.features.length;
      const mean = mnist.features[0].map((_, j) => mnist.features.reduce((sum, row) => sum + row[j], 0) / n);
      expect(maxAbsDifference(s.mean, mean)).toBeLessThan(1e-4);
    },
  );
});
