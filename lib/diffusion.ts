import { runAbortable } from './abortable';
import { MissingUError } from './errors';
import type { ScriptModule } from './jit';
import type { Denoiser } from './models';
import { native } from './native';
import type { Tensor } from './tensor';

export type Schedule = 'linear' | 'cosine' | 'sigmoid';
/** The reverse-process samplers: 'ddpm' (ancestral) and 'ddim'. */
export const SAMPLERS = ['ddpm', 'ddim'] as const;
export type Sampler = (typeof SAMPLERS)[number];
export type Objective = 'eps' | 'x0' | 'v';

/** How the network was trained; must match between training and sampling. */
export interface DiffusionOptions {
  /** Noise schedule (default 'linear', 1e-4..0.02). */
  schedule?: Schedule;
  /** T, the number of diffusion steps (default 1000). */
  diffusionSteps?: number;
  /** What the network predicts (default 'eps'). */
  objective?: Objective;
}

/** How each reverse step updates x_t (shared by `sample`, `denoise` and the step-wise Scheduler). */
export interface StepSettings extends DiffusionOptions {
  /** 'ddpm' (ancestral, default) or 'ddim'. */
  sampler?: Sampler;
  /** Reverse steps; fewer than T respaces the schedule (improved-diffusion's rule). Default: all. */
  steps?: number;
  /** DDIM noise: 0 (default) is deterministic. */
  eta?: number;
  /** DDPM variance: 'fixedlarge' (beta_t, default) or 'fixedsmall' (the posterior's). */
  variance?: 'fixedlarge' | 'fixedsmall';
  /** Clip the predicted x_0 to [-1, 1] (default true). */
  clip?: boolean;
}

export interface ReverseOptions extends StepSettings {
  signal?: AbortSignal;
  onProgress?: (progress: { step: number; total: number }) => void;
}

export interface SampleOptions extends ReverseOptions {
  /** Number of images. */
  n: number;
  /** Seeds x_T exactly as torch.manual_seed(seed); torch.randn([n, ...shape]) does in Python. */
  seed?: number;
  /** [C, H, W]; required for a TorchScript denoiser, taken from a built-in model otherwise. */
  shape?: [number, number, number];
  /** Start from this x_T (n, C, H, W) instead of drawing it from the seed. */
  xT?: Tensor;
  /**
   * CUDA build, denoiser on CUDA: capture the denoiser's forward in a CUDA graph once and replay it at
   * every step (fewer kernel launches). Opt-in; a CPU-only build throws. Not yet tested on a GPU.
   */
  cudaGraph?: boolean;
}

export interface DenoiseOptions extends ReverseOptions {
  /** The step t the clean image is noised to before the reverse process runs from t to 0. */
  noiseStep: number;
  /** Seeds the noise (the generator's first draw) and the reverse process's draws. */
  seed?: number;
  /** Keep the image after every step ('images') or only its metrics ('metrics', default). */
  trace?: 'metrics' | 'images';
}

export interface DenoiseStep {
  /** The diffusion step reached (0 last). */
  t: number;
  /** Against the clean image. */
  mse: number;
  psnr: number;
  /** Seconds since the reverse process started (metrics included). */
  seconds: number;
  image?: Tensor;
}

export interface DenoiseTrace {
  noisy: Tensor;
  steps: DenoiseStep[];
}

type AnyDenoiser = Denoiser | ScriptModule;

function nativeOptions(opts: ReverseOptions, where: string): object {
  // steps 0 once meant "all T" and ran T steps while reporting progress as n/0.
  if (opts.steps !== undefined && !(Number.isSafeInteger(opts.steps) && opts.steps >= 1)) {
    throw new MissingUError(`${where}: steps must be an integer >= 1, got ${opts.steps} (leave it out to run all T)`);
  }
  const { signal, onProgress, ...rest } = opts;
  void signal;
  void onProgress;
  return rest;
}

/** The schedule's betas and cumulative alphas (abar_t), computed in float64. */
export function noiseSchedule(schedule: Schedule = 'linear', diffusionSteps = 1000) {
  return native.diffusionSchedule(schedule, diffusionSteps);
}

/** The forward process: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise, for steps t (B,). */
export function qSample(x0: Tensor, t: Tensor, noise: Tensor, opts: DiffusionOptions = {}): Tensor {
  return native.diffusionQSample(x0, t, noise, opts) as Tensor;
}

export interface LossWeightOptions extends DiffusionOptions {
  /** lucidrains' SNR weights (eps: 1, x0: snr, v: snr / (snr + 1)); default false (all 1). */
  snrWeighting?: boolean;
  /** Min-SNR (Hang et al. 2023): SNR clipped at this value when > 0 (default 0, off). */
  minSnrGamma?: number;
}

/** What the network is trained to output for (x_0, noise) at steps t (B,): eps, x_0 or v = sqrt(abar) eps - sqrt(1 - abar) x_0. */
export function trainingTarget(x0: Tensor, noise: Tensor, t: Tensor, opts: DiffusionOptions = {}): Tensor {
  return native.diffusionTarget(x0, noise, t, opts) as Tensor;
}

/** The per-sample loss weights training uses at steps t (B,), in float64. */
export function lossWeights(t: Tensor, opts: LossWeightOptions = {}): Float64Array {
  return native.diffusionLossWeights(t, opts);
}

/** Standard normal samples equal to torch.manual_seed(seed); torch.randn(shape) in PyTorch. */
export function randn(shape: number[], seed: number): Tensor {
  return native.randn(shape, seed) as Tensor;
}

/** Generates `n` images with the reverse process, in one native call off the event loop. */
export async function sample(denoiser: AnyDenoiser, opts: SampleOptions): Promise<Tensor> {
  const result = await runAbortable(
    (onProgress, flag) => native.diffusionSample(denoiser, nativeOptions(opts, 'sample'), onProgress, flag),
    opts,
  );
  if (result.stopped) {
    result.samples.dispose();
    opts.signal?.throwIfAborted();
  }
  return result.samples as Tensor;
}

/** The denoising study: noise `image` (B, C, H, W) to `noiseStep`, reverse to 0, trace every step. */
export async function denoise(denoiser: AnyDenoiser, image: Tensor, opts: DenoiseOptions): Promise<DenoiseTrace> {
  const result = await runAbortable(
    (onProgress, flag) => native.diffusionDenoise(denoiser, image, nativeOptions(opts, 'denoise'), onProgress, flag),
    opts,
  );
  if (result.stopped) {
    result.noisy.dispose();
    result.trace.forEach((s) => s.image?.dispose());
    opts.signal?.throwIfAborted();
  }
  return { noisy: result.noisy as Tensor, steps: result.trace as DenoiseStep[] };
}
