import { imageRange } from '../data/image-range';
import {
  denoise,
  disposeStepImages,
  noiseSchedule,
  resolveDiffusion,
  type DiffusionOptions,
  type Sampler,
} from '../diffusion';
import { MissingUError } from '../errors';
import type { ScriptModule } from '../jit';
import type { Denoiser } from '../models';
import type { Precision } from '../schemas/precision';
import { resolveReverse, samplingOf } from '../schemas/reverse-defaults';
import { tensor, type Tensor } from '../tensor';
import { IMAGES_WHY, requireFinite } from './finite';
import { gaussianBlur } from './gaussian-blur';
import { lpips, LPIPS_MIN_SIDE, psnr, ssim } from './metrics';

/** The noise steps of the paper's denoising study (section 4.2). */
export const PAPER_NOISE_STEPS = [50, 100, 150, 200, 250, 400, 600, 800];

export interface StudyDenoiser {
  /** The label in tables and plots. */
  name: string;
  denoiser: Denoiser | ScriptModule;
  /** How it was trained (schedule, T, objective); default the denoiser's own (`diffusion`), else linear, 1000, eps. */
  diffusion?: DiffusionOptions;
}

export interface DenoiseStudyOptions {
  /** Default: the paper's {50, 100, 150, 200, 250, 400, 600, 800}. */
  noiseSteps?: number[];
  /**
   * The reverse process of every denoiser: each setting left out is its checkpoint's, else denoise's
   * default (docs/guide.md, "The reverse process"). The paper's study is `sampler: 'ddpm'` with steps
   * of T or more: every step from each noise step.
   */
  sampler?: Sampler;
  /** Reverse steps from each noise step, at most the noise step + 1 (so a count of T or more takes every step). */
  steps?: number;
  /** Seeds the noise; the same for every denoiser, so they all start from the same noisy images. */
  seed?: number;
  /** An LPIPS v0.1 TorchScript file (docs/lpips.md); without it the study reports SSIM and PSNR only. */
  lpips?: ScriptModule;
  /** Add the Gaussian-blur baseline (x_t / sqrt(abar_t) blurred at the best sigma); default true. */
  baseline?: boolean;
  /** Images per reverse-process call: bounds the memory of the kept trace; default 16. */
  chunk?: number;
  /** The denoisers' precision (default: each denoiser's own; fp32 for TorchScript). */
  precision?: Precision;
  signal?: AbortSignal;
  onProgress?: (p: { denoiser: string; noiseStep: number; imagesDone: number; images: number }) => void;
}

/**
 * What is compared with the clean image at each reverse step: the step's result x_{t-1} ('x_t'), or
 * the clean image the denoiser predicted at that step ('x0-hat').
 */
export type StudyTrace = 'x_t' | 'x0-hat';

const STUDY_TRACES: readonly StudyTrace[] = ['x_t', 'x0-hat'];

/** One denoiser at one noise step, one trace: the best value of each metric over the reverse steps, where and when. */
export interface StudyRow {
  denoiser: string;
  noiseStep: number;
  trace: StudyTrace;
  /** The sampler this denoiser's reverse process ran. */
  sampler: Sampler;
  /** Reverse steps from the noise step to 0. */
  steps: number;
  /** Mean over the images at each reverse step; the best step of that mean. */
  bestSsim: number;
  /** The diffusion step t at which the mean SSIM peaked (0 is the end of the reverse process). */
  ssimPeakT: number;
  /** Reverse steps taken when it peaked (the paper's "best step"). */
  ssimPeakSteps: number;
  /** Seconds of the reverse process until that step (all images). */
  ssimPeakSeconds: number;
  bestLpips: number | null;
  lpipsPeakT: number | null;
  lpipsPeakSteps: number | null;
  lpipsPeakSeconds: number | null;
  bestPsnr: number;
  psnrPeakT: number;
  /** At t = 0. */
  finalSsim: number;
  finalLpips: number | null;
  totalSeconds: number;
}

export interface StudyCurvePoint {
  denoiser: string;
  noiseStep: number;
  trace: StudyTrace;
  t: number;
  ssim: number;
  lpips: number | null;
  psnr: number;
  seconds: number;
}

/** The Gaussian-blur baseline at one noise step, at the sigma with the best mean SSIM. */
export interface BaselineRow {
  noiseStep: number;
  sigma: number;
  ssim: number;
  lpips: number | null;
  psnr: number;
}

export interface DenoiseStudy {
  images: number;
  imageShape: number[];
  noiseSteps: number[];
  /** The sampler given for every denoiser; null: each denoiser's own (its rows say which). */
  sampler: Sampler | null;
  seed: number;
  lpips: boolean;
  /** Rows for each denoiser and noise step: the x_t trace, then the x0-hat trace. */
  rows: StudyRow[];
  curves: StudyCurvePoint[];
  baseline: BaselineRow[];
}

const BLUR_SIGMAS = [0, 0.5, 0.75, 1, 1.5, 2, 3];

const sum = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0);

async function lpipsSum(module: ScriptModule | undefined, a: Tensor, b: Tensor): Promise<number | null> {
  if (!module) return null;
  return sum(await lpips(module, a, b, { minSide: LPIPS_MIN_SIDE }));
}

// Per reverse step, sums over images of each metric of one trace.
interface MetricTotals {
  ssim: number[];
  lpips: number[];
  psnr: number[];
}

// Per reverse step: its t, the reverse-process seconds summed over chunks, and each trace's sums.
interface StepTotals {
  t: number[];
  seconds: number[];
  traces: Record<StudyTrace, MetricTotals>;
}

const emptyMetrics = (): MetricTotals => ({ ssim: [], lpips: [], psnr: [] });

async function addMetrics(
  totals: MetricTotals,
  i: number,
  image: Tensor,
  clean: Tensor,
  module: ScriptModule | undefined,
): Promise<void> {
  if (totals.ssim.length <= i) {
    totals.ssim.push(0);
    totals.lpips.push(0);
    totals.psnr.push(0);
  }
  totals.ssim[i] += sum(await ssim(image, clean));
  totals.psnr[i] += sum(await psnr(image, clean));
  totals.lpips[i] += (await lpipsSum(module, image, clean)) ?? 0;
}

async function traceChunk(
  entry: StudyDenoiser,
  clean: Tensor,
  noiseStep: number,
  opts: DenoiseStudyOptions,
  seed: number,
  totals: StepTotals,
): Promise<Tensor> {
  const trace = await denoise(entry.denoiser, clean, {
    ...entry.diffusion,
    noiseStep,
    seed,
    sampler: opts.sampler,
    steps: opts.steps === undefined ? undefined : Math.min(opts.steps, noiseStep + 1),
    precision: opts.precision,
    trace: 'images',
    signal: opts.signal,
  });
  try {
    for (let i = 0; i < trace.steps.length; i++) {
      const step = trace.steps[i];
      if (totals.t.length <= i) {
        totals.t.push(step.t);
        totals.seconds.push(0);
      }
      totals.seconds[i] += step.seconds;
      await addMetrics(totals.traces['x_t'], i, step.image as Tensor, clean, opts.lpips);
      await addMetrics(totals.traces['x0-hat'], i, step.predicted as Tensor, clean, opts.lpips);
      disposeStepImages(step);
    }
  } catch (err) {
    trace.noisy.dispose();
    throw err;
  } finally {
    trace.steps.forEach(disposeStepImages);
  }
  return trace.noisy;
}

function argBest(values: number[], better: (a: number, b: number) => boolean): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (better(values[i], values[best])) best = i;
  return best;
}

// The curve and the row of one trace of one denoiser at one noise step, from its sums over the images.
function summarize(
  study: DenoiseStudy,
  { denoiser, sampler }: { denoiser: string; sampler: Sampler },
  noiseStep: number,
  trace: StudyTrace,
  totals: StepTotals,
  hasLpips: boolean,
): void {
  const mean = (xs: number[]) => xs.map((x) => x / study.images);
  const metrics = totals.traces[trace];
  const [ssims, psnrs] = [mean(metrics.ssim), mean(metrics.psnr)];
  const lpipses = hasLpips ? mean(metrics.lpips) : null;
  totals.t.forEach((t, i) =>
    study.curves.push({
      denoiser,
      noiseStep,
      trace,
      t,
      ssim: ssims[i],
      lpips: lpipses ? lpipses[i] : null,
      psnr: psnrs[i],
      seconds: totals.seconds[i],
    }),
  );
  const s = argBest(ssims, (a, b) => a > b);
  const p = argBest(psnrs, (a, b) => a > b);
  const l = lpipses ? argBest(lpipses, (a, b) => a < b) : null;
  const last = totals.t.length - 1;
  study.rows.push({
    denoiser,
    noiseStep,
    trace,
    sampler,
    steps: totals.t.length,
    bestSsim: ssims[s],
    ssimPeakT: totals.t[s],
    ssimPeakSteps: s + 1,
    ssimPeakSeconds: totals.seconds[s],
    bestLpips: lpipses && l !== null ? lpipses[l] : null,
    lpipsPeakT: l !== null ? totals.t[l] : null,
    lpipsPeakSteps: l !== null ? l + 1 : null,
    lpipsPeakSeconds: l !== null ? totals.seconds[l] : null,
    bestPsnr: psnrs[p],
    psnrPeakT: totals.t[p],
    finalSsim: ssims[last],
    finalLpips: lpipses ? lpipses[last] : null,
    totalSeconds: totals.seconds[last],
  });
}

async function baselineAt(
  noisy: Tensor[],
  clean: Tensor[],
  noiseStep: number,
  diffusion: DiffusionOptions | undefined,
  module: ScriptModule | undefined,
  images: number,
): Promise<BaselineRow> {
  const { alphasCumprod } = noiseSchedule(diffusion?.schedule, diffusion?.diffusionSteps);
  const scale = 1 / Math.sqrt(alphasCumprod[noiseStep]);
  let best: BaselineRow | undefined;
  for (const sigma of BLUR_SIGMAS) {
    let s = 0;
    let p = 0;
    let l: number | null = module ? 0 : null;
    for (let i = 0; i < noisy.length; i++) {
      const data = noisy[i].toFloat32Array().map((v) => v * scale);
      using rescaled = tensor(data, noisy[i].shape);
      using blurred = gaussianBlur(rescaled, sigma);
      s += sum(await ssim(blurred, clean[i]));
      p += sum(await psnr(blurred, clean[i]));
      if (l !== null) l += (await lpipsSum(module, blurred, clean[i])) ?? 0;
    }
    const row = { noiseStep, sigma, ssim: s / images, psnr: p / images, lpips: l === null ? null : l / images };
    if (!best || row.ssim > best.ssim) best = row;
  }
  return best as BaselineRow;
}

/**
 * The paper's denoising study (section 4.2, tables 2-4): each clean image is noised to each noise
 * step with the same seeded noise for every denoiser, the reverse process runs back to t = 0, and
 * SSIM, PSNR (and LPIPS with a backbone) against the clean image are traced at every reverse step,
 * for both x_t and the predicted clean image x0-hat. Each row reports the best mean value of one
 * trace, the step where it peaked and the seconds taken to reach it.
 */
export async function denoiseStudy(
  denoisers: StudyDenoiser[],
  images: Tensor,
  opts: DenoiseStudyOptions = {},
): Promise<DenoiseStudy> {
  if (denoisers.length === 0) throw new MissingUError('denoiseStudy needs at least one denoiser');
  const names = denoisers.map((d) => d.name);
  if (new Set(names).size !== names.length) {
    throw new MissingUError(`denoiseStudy: denoiser names must differ, got ${names.join(', ')}`);
  }
  if (images.shape.length !== 4 || images.shape[0] < 1) {
    throw new MissingUError(`denoiseStudy needs clean images (N, C, H, W), got [${images.shape.join(', ')}]`);
  }
  const noiseSteps = opts.noiseSteps ?? PAPER_NOISE_STEPS;
  const seed = opts.seed ?? 0;
  const n = images.shape[0];
  const chunk = Math.max(1, opts.chunk ?? 16);
  const study: DenoiseStudy = {
    images: n,
    imageShape: images.shape.slice(1),
    noiseSteps,
    sampler: opts.sampler ?? null,
    seed,
    lpips: opts.lpips !== undefined,
    rows: [],
    curves: [],
    baseline: [],
  };
  const cleanChunks: Tensor[] = [];
  const pixels = images.toFloat32Array();
  requireFinite(pixels, 'denoiseStudy: images', IMAGES_WHY);
  for (let start = 0; start < n; start += chunk) {
    cleanChunks.push(imageRange(pixels, images.shape, start, Math.min(n, start + chunk)));
  }
  let noisyChunks: Tensor[] = [];
  try {
    for (const noiseStep of noiseSteps) {
      for (const entry of denoisers) {
        const totals: StepTotals = {
          t: [],
          seconds: [],
          traces: { x_t: emptyMetrics(), 'x0-hat': emptyMetrics() },
        };
        noisyChunks.forEach((t) => t.dispose());
        noisyChunks = [];
        let done = 0;
        for (let c = 0; c < cleanChunks.length; c++) {
          // Chunk c always gets the same seed, so every denoiser sees the same noisy images.
          noisyChunks.push(await traceChunk(entry, cleanChunks[c], noiseStep, opts, seed + c, totals));
          done += cleanChunks[c].shape[0];
          opts.onProgress?.({ denoiser: entry.name, noiseStep, imagesDone: done, images: n });
        }
        const { sampler } = resolveReverse(samplingOf(entry.denoiser), opts);
        for (const traceName of STUDY_TRACES) {
          summarize(study, { denoiser: entry.name, sampler }, noiseStep, traceName, totals, opts.lpips !== undefined);
        }
      }
      if (opts.baseline ?? true) {
        study.baseline.push(
          await baselineAt(
            noisyChunks,
            cleanChunks,
            noiseStep,
            resolveDiffusion(denoisers[0].denoiser, denoisers[0].diffusion),
            opts.lpips,
            n,
          ),
        );
      }
    }
  } finally {
    noisyChunks.forEach((t) => t.dispose());
    cleanChunks.forEach((t) => t.dispose());
  }
  return study;
}
