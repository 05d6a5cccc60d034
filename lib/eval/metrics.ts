import { runAbortable, throwIfAborted } from '../abortable';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import { MissingUError } from '../errors';
import type { ScriptModule } from '../jit';
import type { InputRange } from '../schemas/names';
import { native, type NativeFeatureOptions } from '../native';
import type { Tensor } from '../tensor';
import { finitePairOrReject, requireFinite, requireFiniteImages } from './finite';

/** Options of the paired image metrics. */
export interface ImageMetricOptions {
  /** max - min of the pixel values: 2 (default) for images in [-1, 1], 1 for [0, 1], 255 for bytes. */
  dataRange?: number;
}

/**
 * SSIM per image pair, computed in float64 exactly as scikit-image's
 * `structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
 * data_range=R, channel_axis=0)`: an 11-tap Gaussian window (sigma 1.5), K1 0.01, K2 0.03, population
 * covariance, the mean over channels of each channel's mean SSIM. `a`, `b`: (N, C, H, W) with H, W >= 11.
 * Images holding NaN or +-Infinity are refused, as by every metric here: a MissingUError, code 'numeric'.
 */
export function ssim(a: Tensor, b: Tensor, opts: ImageMetricOptions = {}): Promise<Float64Array> {
  return finitePairOrReject('ssim', a, b, () => native.metricsSsim(a, b, { dataRange: opts.dataRange ?? 2 }));
}

/** PSNR per image pair in dB, 10 log10(R^2 / MSE) in float64; Infinity for identical images (never for NaN ones). */
export function psnr(a: Tensor, b: Tensor, opts: ImageMetricOptions = {}): Promise<Float64Array> {
  return finitePairOrReject('psnr', a, b, () => native.metricsPsnr(a, b, { dataRange: opts.dataRange ?? 2 }));
}

export type { InputRange } from '../schemas/names';

/** How images (N, C, H, W) in [-1, 1] are prepared for a feature extractor, batch by batch. */
export interface FeatureOptions {
  /** Images per forward call (default 64). */
  batchSize?: number;
  /** '-1,1' passes the images as they are (default); '0,1' and '0,255' rescale them. */
  inputRange?: InputRange;
  /** Resize to size x size first (bilinear, align_corners false, no antialias), e.g. 299 for Inception. */
  size?: number;
  /** 3 repeats single-channel images to RGB; default: keep the images' channels. */
  channels?: 1 | 3;
}

/** Mean and covariance of an extractor's features over a set of images: one side of a Frechet distance. */
export interface FeatureStats {
  /** How many images (feature vectors) the statistics cover. */
  count: number;
  /** Feature dimension D. */
  dim: number;
  /** (D,) mean. */
  mean: Float64Array;
  /** (D, D) unbiased covariance (divides by count - 1, as numpy.cov), row-major. */
  covariance: Float64Array;
  /** Which extractor made them; only statistics of the same extractor can be compared. */
  extractor: string;
}

export interface FeatureStatsOptions extends FeatureOptions {
  /** Recorded in the statistics and checked by frechetDistance() (default 'unnamed'). */
  extractorName?: string;
  signal?: AbortSignal;
  /** After every batch: images done so far out of all. */
  onProgress?: (progress: { done: number; total: number }) => void;
}

function featureOptions(opts: FeatureOptions): NativeFeatureOptions {
  const { batchSize, inputRange, size, channels } = opts;
  return { batchSize, inputRange, size, channels };
}

/**
 * Runs `extractor` over `images` (N, ...) in [-1, 1], batch by batch off the event loop, and accumulates
 * the features' mean and covariance in float64 (Chan et al.'s parallel update, so the batch size does
 * not change the result). The extractor's forward(x) must return a Tensor (B, ...), flattened to (B, D).
 */
export async function featureStats(
  extractor: ScriptModule,
  images: Tensor,
  opts: FeatureStatsOptions = {},
): Promise<FeatureStats> {
  requireFiniteImages(images, 'featureStats: images');
  const result = await runAbortable(
    (onProgress, flag) => native.metricsFeatureStats(extractor, images, featureOptions(opts), onProgress, flag),
    opts,
  );
  if (result.aborted) throwIfAborted(opts.signal, 'the evaluation');
  const { count, dim, mean, covariance } = result;
  return { count, dim, mean, covariance, extractor: opts.extractorName ?? 'unnamed' };
}

/** The extractor's features of `images` as an (N, D) float32 tensor (same preprocessing as featureStats). */
export async function features(extractor: ScriptModule, images: Tensor, opts: FeatureOptions = {}): Promise<Tensor> {
  requireFiniteImages(images, 'features: images');
  return (await native.metricsFeatures(extractor, images, featureOptions(opts))) as Tensor;
}

const STATS_WHY =
  'a Frechet distance of them is meaningless: the features came from non-finite images or a broken extractor';

function checkComparable(a: FeatureStats, b: FeatureStats, what: string): void {
  if (a.extractor !== b.extractor) {
    throw new MissingUError(
      `${what}: the statistics were made by different feature extractors ('${a.extractor}' and ` +
        `'${b.extractor}'); compute both with the same extractor`,
    );
  }
  if (a.dim !== b.dim) {
    throw new MissingUError(`${what}: the features have ${a.dim} and ${b.dim} dimensions; they must match`);
  }
  for (const s of [a, b]) {
    if (s.mean.length !== s.dim || s.covariance.length !== s.dim * s.dim) {
      throw new MissingUError(
        `${what}: malformed statistics: dim ${s.dim} but a mean of ${s.mean.length} and a covariance of ` +
          `${s.covariance.length} entries`,
      );
    }
  }
}

/** Statistics of the union of two disjoint sets of feature vectors (Chan et al.), e.g. of shards. */
export function mergeFeatureStats(a: FeatureStats, b: FeatureStats): FeatureStats {
  checkComparable(a, b, 'mergeFeatureStats');
  if (a.count === 0) return { ...b, mean: b.mean.slice(), covariance: b.covariance.slice() };
  if (b.count === 0) return { ...a, mean: a.mean.slice(), covariance: a.covariance.slice() };
  const n = a.count + b.count;
  const d = a.dim;
  const delta = Float64Array.from(b.mean, (m, i) => m - a.mean[i]);
  const mean = Float64Array.from(a.mean, (m, i) => m + (delta[i] * b.count) / n);
  const cross = (a.count * b.count) / n;
  const covariance = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const k = i * d + j;
      const comoment = a.covariance[k] * (a.count - 1) + b.covariance[k] * (b.count - 1) + delta[i] * delta[j] * cross;
      covariance[k] = comoment / (n - 1);
    }
  }
  return { count: n, dim: d, mean, covariance, extractor: a.extractor };
}

/**
 * The Frechet distance between the Gaussians two feature statistics describe (FID when the extractor is
 * Inception): ||mu1 - mu2||^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2), the trace of the root from the
 * eigenvalues of sqrt(S1) S2 sqrt(S1) (float64, symmetric eigensolver). Refuses statistics of different
 * extractors or dimensions, or of fewer than 2 images.
 */
export function frechetDistance(a: FeatureStats, b: FeatureStats): number {
  checkComparable(a, b, 'frechetDistance');
  for (const [name, s] of [['a', a] as const, ['b', b] as const]) {
    if (s.count < 2) {
      throw new MissingUError(`frechetDistance: statistics of ${s.count} image(s) have no covariance; use at least 2`);
    }
    requireFinite(s.mean, `frechetDistance: the mean of ${name}`, STATS_WHY);
    requireFinite(s.covariance, `frechetDistance: the covariance of ${name}`, STATS_WHY);
  }
  return native.metricsFrechet(a.mean, a.covariance, b.mean, b.covariance);
}

/** Writes statistics as safetensors: F64 tensors `mean` (D) and `covariance` (D, D), metadata extractor/count/dim. */
export function saveFeatureStats(file: string, stats: FeatureStats): void {
  writeSafetensors(
    file,
    {
      mean: { shape: [stats.dim], data: stats.mean },
      covariance: { shape: [stats.dim, stats.dim], data: stats.covariance },
    },
    { extractor: stats.extractor, count: String(stats.count), dim: String(stats.dim) },
  );
}

/** Reads statistics written by saveFeatureStats; a file of another layout is a MissingUError saying why. */
export function loadFeatureStats(file: string): FeatureStats {
  const { tensors, metadata } = readSafetensors(file, { float64: true });
  const fail = (why: string) => new MissingUError(`${file} does not hold feature statistics: ${why}`);
  const count = Number(metadata.count);
  const dim = Number(metadata.dim);
  if (typeof metadata.extractor !== 'string') throw fail('its metadata has no extractor');
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(dim) || dim < 1) {
    throw fail(`its metadata has count '${metadata.count}' and dim '${metadata.dim}'`);
  }
  const { mean, covariance } = tensors;
  if (!mean || mean.shape.length !== 1 || mean.shape[0] !== dim) throw fail(`it has no mean of shape [${dim}]`);
  if (!covariance || covariance.shape.length !== 2 || covariance.shape[0] !== dim || covariance.shape[1] !== dim) {
    throw fail(`it has no covariance of shape [${dim}, ${dim}]`);
  }
  requireFinite(mean.data, `feature statistics ${file}: its mean`, STATS_WHY);
  requireFinite(covariance.data, `feature statistics ${file}: its covariance`, STATS_WHY);
  return {
    count,
    dim,
    mean: Float64Array.from(mean.data),
    covariance: Float64Array.from(covariance.data),
    extractor: metadata.extractor,
  };
}

/** The shorter side LPIPS inputs are enlarged to in the CLI and the denoising study (AlexNet needs 31). */
export const LPIPS_MIN_SIDE = 64;

export interface LpipsOptions {
  /** Image pairs per forward call (default 32). */
  batchSize?: number;
  /**
   * Enlarge both images by the smallest integer factor (each pixel repeated, as nearest does) that
   * makes their shorter side at least this (natively, with grey repeated to RGB). Default 0: as given.
   */
  minSide?: number;
}

/**
 * LPIPS v0.1 per image pair: `a`, `b` (N, 3, H, W) in [-1, 1] (grey (N, 1, H, W) is repeated to RGB). `network` is a TorchScript file (jit.load)
 * whose forward(x) returns the backbone's feature maps (List[Tensor], LPIPS's scaling layer applied
 * inside) and whose weights() returns the linear heads' weights (List[Tensor] of (C_l,)); docs/lpips.md
 * says how to make one. Each layer's features are unit-normalised over channels, their squared
 * difference weighted by the head, averaged over space; the layers are summed.
 */
export function lpips(
  network: ScriptModule | undefined,
  a: Tensor,
  b: Tensor,
  opts: LpipsOptions = {},
): Promise<Float64Array> {
  if (network === undefined || network === null) {
    return Promise.reject(
      new MissingUError(
        'LPIPS needs a TorchScript backbone+heads file (forward(x) -> List[Tensor] feature maps, ' +
          'weights() -> List[Tensor] head weights), loaded with jit.load(); none was given. ' +
          'LPIPS weights cannot be downloaded here: see docs/lpips.md for how to export one from the lpips package.',
      ),
    );
  }
  return finitePairOrReject('lpips', a, b, () =>
    native.metricsLpips(network, a, b, { batchSize: opts.batchSize ?? 32, minSide: opts.minSide ?? 0 }),
  );
}
