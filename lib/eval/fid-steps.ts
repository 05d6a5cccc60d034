import { imageRange } from '../data/image-range';
import { randn, sample, type DiffusionOptions, type Sampler } from '../diffusion';
import { MissingUError } from '../errors';
import type { ScriptModule } from '../jit';
import type { Denoiser } from '../models';
import { FidStepsSchema, type FidStepsInput, type FidStepsSettings } from '../schemas/fid-steps-options';
import type { Spacing } from '../schemas/names';
import type { Precision } from '../schemas/precision';
import { parseOptions } from '../schemas/parse-options';
import { resolveReverse, samplingOf, type FlowOdeSettings } from '../schemas/reverse-defaults';
import { tensor } from '../tensor';
import { denoiserImageShape, probeDenoisers } from './denoiser-probe';
import { fid, type Extractor } from './fid';
import type { FeatureStats } from './metrics';
import { optimalSteps, type OptimalSteps } from './optimal-steps';

export interface FidStepsDenoiser {
  /** The label in rows, tables and plots (unique). */
  name: string;
  denoiser: Denoiser | ScriptModule;
  /** The image shape, [C, H, W]: required for a TorchScript denoiser; a built-in model's own otherwise. */
  shape?: [number, number, number];
  /** How it was trained, where the denoiser does not say (its own `diffusion`, else linear, 1000, eps). */
  diffusion?: DiffusionOptions;
  /** Where it came from (a checkpoint folder or TorchScript file), recorded in its rows; default null. */
  checkpoint?: string | null;
  /** The seed it was trained with (a checkpoint config's train.seed), recorded in its rows; default null. */
  trainingSeed?: number | null;
}

export interface FidStepsProgress {
  denoiser: string;
  /** The row's step count; for an 'ode' row, its solver in words ('dopri5 tol 0.001'). */
  steps: number | string;
  /** Rows finished, out of all (denoisers x step counts). */
  rowsDone: number;
  rows: number;
  /** Images of this row sampled so far, out of n. */
  imagesDone: number;
  images: number;
}

export type FidStepsOptions = FidStepsInput & {
  /** The real images' feature statistics (e.g. cachedDatasetStats), made by `extractor`. */
  real: FeatureStats;
  extractor: Extractor;
  signal?: AbortSignal;
  onProgress?: (p: FidStepsProgress) => void;
};

/** One denoiser at one step count. */
export interface FidStepsRow {
  denoiser: string;
  checkpoint: string | null;
  sampler: Sampler;
  /** Reverse steps; for the 'ode' sampler, its network evaluations per image (its solver is `ode`). */
  steps: number;
  /** Which of the T steps the row's reverse process visited (not used by the 'ode' sampler). */
  spacing: Spacing;
  /** Network evaluations per image, as the sampler counted them (the mean over batches for dopri5). */
  nfe: number;
  /** The 'ode' sampler's solver as the row ran it; null for the other samplers. */
  ode: FlowOdeSettings | null;
  /** What the denoiser ran in: the option given, else the model's own (fp32 for TorchScript). */
  precision: Precision;
  /** The denoiser's training seed, where known. */
  trainingSeed: number | null;
  n: number;
  seed: number;
  fid: number;
  /** Wall seconds of sampling the n images (feature extraction left out) divided by n. */
  secondsPerSample: number;
  /** The extractor's name: FIDs of different extractors are not comparable. */
  extractor: string;
}

export interface FidStepsResult {
  rows: FidStepsRow[];
  /** Per denoiser, the paper's "optimal sampling time": the fewest steps within 5% of its best FID. */
  optimal: OptimalSteps[];
}

function checkDenoisers(denoisers: FidStepsDenoiser[]): Array<[number, number, number]> {
  if (denoisers.length === 0) {
    throw new MissingUError('eval.fidSteps needs at least one denoiser: [{ name, denoiser }, ...]');
  }
  const names = denoisers.map((d) => d.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) {
    throw new MissingUError(`eval.fidSteps: two denoisers are named '${twice}'; give each its own name`);
  }
  return denoisers.map((entry) => denoiserImageShape(entry, 'eval.fidSteps'));
}

/** x_T as torch.manual_seed(seed); torch.randn(shape) draws it. */
function startingNoise(shape: number[], seed: number): Float32Array {
  using noise = randn(shape, seed);
  return noise.toFloat32Array();
}

/** What a denoiser runs in when not told: a built-in model's own precision, fp32 for TorchScript. */
function ownPrecision(denoiser: Denoiser | ScriptModule): Precision {
  return 'precision' in denoiser ? denoiser.precision : 'fp32';
}

interface RowReverse {
  sampler: Sampler;
  spacing: Spacing;
  ode: FlowOdeSettings;
}

/** The sampler, spacing and ODE solver of a denoiser's rows: the ones given, else its checkpoint's, else the defaults. */
function reverseOf(entry: FidStepsDenoiser, settings: FidStepsSettings): RowReverse {
  const given = { sampler: settings.sampler, spacing: settings.spacing, ode: settings.ode };
  const { sampler, spacing, ode } = resolveReverse(samplingOf(entry.denoiser), given);
  return { sampler, spacing, ode };
}

/** One row's setting: a step count, or for the 'ode' sampler its solver. */
interface RowSetting {
  steps: number;
  ode: FlowOdeSettings | null;
  label: number | string;
}

/** A denoiser's rows: one per step count, or per tolerance for the 'ode' sampler with dopri5. */
function rowSettings(reverse: RowReverse, settings: FidStepsSettings): RowSetting[] {
  const stepCounts = [...new Set(settings.steps)].sort((a, b) => a - b);
  if (reverse.sampler !== 'ode') return stepCounts.map((steps) => ({ steps, ode: null, label: steps }));
  const { ode } = reverse;
  if (ode.method !== 'dopri5') {
    return stepCounts.map((steps) => ({ steps, ode: { ...ode, steps }, label: `${ode.method} ${steps} steps` }));
  }
  const tolerances = settings.tolerances ? [...new Set(settings.tolerances)].sort((a, b) => b - a) : [ode.rtol];
  return tolerances.map((tolerance) => {
    const solver = settings.tolerances ? { ...ode, rtol: tolerance, atol: tolerance } : ode;
    return { steps: 0, ode: solver, label: `dopri5 rtol ${solver.rtol} atol ${solver.atol}` };
  });
}

/**
 * The n images of one row, sampled batch by batch from the rows' shared x_T; and the seconds the
 * sampling took. Batch b starts from images [b * batchSize, ...) of x_T and its sampler noise (DDPM)
 * is seeded seed + b, so one batch (n <= batchSize) is exactly sample({ n, seed }).
 */
async function sampleRow(
  entry: FidStepsDenoiser,
  xT: { data: Float32Array; shape: number[] },
  reverse: RowReverse,
  row: RowSetting,
  settings: FidStepsSettings,
  signal: AbortSignal | undefined,
  onBatch: (done: number) => void,
): Promise<{ images: Float32Array; seconds: number; nfe: number }> {
  const { n, batchSize } = settings;
  const { sampler, spacing } = reverse;
  const per = xT.data.length / n;
  const images = new Float32Array(xT.data.length);
  let seconds = 0;
  let evaluations = 0;
  for (let start = 0, b = 0; start < n; start += batchSize, b++) {
    const end = Math.min(n, start + batchSize);
    using batchXT = imageRange(xT.data, xT.shape, start, end);
    let batchNfe = 0;
    const started = process.hrtime.bigint();
    using batch = await sample(entry.denoiser, {
      ...entry.diffusion,
      n: end - start,
      shape: entry.shape,
      xT: batchXT,
      seed: settings.seed + b,
      sampler,
      ...(row.ode ? { ode: row.ode } : { steps: row.steps }),
      spacing,
      precision: settings.precision,
      signal,
      onProgress: (p) => (batchNfe = p.nfe),
    });
    seconds += Number(process.hrtime.bigint() - started) / 1e9;
    evaluations += batchNfe * (end - start);
    images.set(batch.toFloat32Array(), start * per);
    onBatch(end);
  }
  return { images, seconds, nfe: Number((evaluations / n).toPrecision(6)) };
}

/** One untimed step on one batch, so that the first row's time leaves out one-off setup (allocations, kernels). */
async function warmUp(entry: FidStepsDenoiser, settings: FidStepsSettings, signal: AbortSignal | undefined) {
  const { denoiser, diffusion, shape } = entry;
  const n = Math.min(settings.n, settings.batchSize);
  const warm = { sampler: 'ddim' as const, steps: 1, precision: settings.precision, signal };
  const images = await sample(denoiser, { ...diffusion, n, shape, ...warm });
  images.dispose();
}

/**
 * FID against the number of sampling steps (the paper's table 1): for each denoiser and step count, n
 * samples drawn from the same seeded x_T, their FID against `real` with `extractor`, and the seconds
 * per sample of the sampling alone; per denoiser, the fewest steps whose FID is within 5% of its best.
 * The same options give the same FIDs to the digit; seconds per sample are measured, so they vary.
 */
export async function fidSteps(denoisers: FidStepsDenoiser[], options: FidStepsOptions): Promise<FidStepsResult> {
  const { real, extractor, signal, onProgress, ...rest } = options;
  const settings = parseOptions(FidStepsSchema, rest, 'eval.fidSteps');
  const shapes = checkDenoisers(denoisers);
  if (!real || !extractor) {
    throw new MissingUError(
      'eval.fidSteps needs real (the real images’ FeatureStats, e.g. from cachedDatasetStats) and extractor (loadExtractor)',
    );
  }
  if (real.extractor !== extractor.name) {
    throw new MissingUError(
      `eval.fidSteps: the real statistics were made by '${real.extractor}' but the extractor is '${extractor.name}'; ` +
        'compute them with the same extractor',
    );
  }
  const sized = denoisers.map((entry, i) => ({ ...entry, shape: shapes[i] }));
  await probeDenoisers(sized, { caller: 'eval.fidSteps', precision: settings.precision, signal });
  const reverses = denoisers.map((entry) => reverseOf(entry, settings));
  const plans = reverses.map((reverse) => rowSettings(reverse, settings));
  const total = plans.reduce((sum, plan) => sum + plan.length, 0);
  const rows: FidStepsRow[] = [];
  for (const [i, entry] of denoisers.entries()) {
    const shape = [settings.n, ...shapes[i]];
    const xT = { data: startingNoise(shape, settings.seed), shape };
    await warmUp(sized[i], settings, signal);
    for (const row of plans[i]) {
      const progress = (imagesDone: number) =>
        onProgress?.({
          denoiser: entry.name,
          steps: row.label,
          rowsDone: rows.length,
          rows: total,
          imagesDone,
          images: settings.n,
        });
      const { images, seconds, nfe } = await sampleRow(sized[i], xT, reverses[i], row, settings, signal, progress);
      using fake = tensor(images, shape);
      const result = await fid(extractor, real, fake, { signal });
      const { sampler, spacing } = reverses[i];
      rows.push({
        denoiser: entry.name,
        checkpoint: entry.checkpoint ?? null,
        sampler,
        spacing,
        steps: row.ode ? Math.round(nfe) : row.steps,
        nfe,
        ode: row.ode,
        precision: settings.precision ?? ownPrecision(entry.denoiser),
        trainingSeed: entry.trainingSeed ?? null,
        n: settings.n,
        seed: settings.seed,
        fid: result.fid,
        secondsPerSample: Number((seconds / settings.n).toPrecision(4)),
        extractor: result.extractor,
      });
    }
  }
  return { rows, optimal: optimalSteps(rows) };
}
