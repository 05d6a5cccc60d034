import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import loadAddon from 'node-gyp-build';

import type { DenoiseStepOf } from './denoise-step';
import { MissingUError } from './errors';
import { PACKAGE_ROOT } from './package-root';
import type { InputRange } from './schemas/names';
import type { Precision } from './schemas/precision';

/** The shapes of the objects native/napi hands out; lib/ wraps them in the public API. */
export interface NativeTensor {
  readonly shape: number[];
  readonly dtype: string;
  readonly device: string;
  readonly disposed: boolean;
  toFloat32Array(): Float32Array;
  toTypedArray(): TensorData;
  dispose(): void;
}

/** The typed arrays a Tensor is made from and read back into. */
export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export type NativeInput = NativeTensor | number | boolean;

/** What torchLoad gives for each pickled value: dicts as objects (integer keys as strings), tuples as arrays. */
export type TorchValue = NativeTensor | number | boolean | string | null | TorchValue[] | { [key: string]: TorchValue };

export interface NativeScriptModule {
  readonly device: string;
  readonly signature: string;
  forward(...inputs: NativeInput[]): Promise<NativeTensor>;
  call(method: string, ...inputs: NativeInput[]): Promise<NativeTensor>;
  dispose(): void;
}

export interface NativeInfo {
  torch: string;
  cuda: boolean;
  cudaDeviceCount: number;
  threads: number;
  nnpack: boolean;
  cpuPrecisions: Precision[];
  build: Record<string, string>;
}

export interface NativeOdeStats {
  nfe: number;
  accepted: number;
  rejected: number;
}

/** One solve, as lib/schemas/ode-options.ts gives it (every default filled in). */
export interface NativeOdeRequest {
  f: NativeScriptModule;
  order: 'second' | 'first';
  state: NativeTensor[];
  s0: number;
  s1: number;
  method: string;
  steps?: number;
  rtol: number;
  atol: number;
  maxSteps: number;
  gradient: 'none' | 'direct' | 'adjoint';
  outputGrads?: Array<NativeTensor | undefined>;
  cudaGraph: boolean;
}

export interface NativeOdeResult {
  state: NativeTensor[];
  stats: NativeOdeStats;
  backwardStats?: NativeOdeStats;
  grads?: { state: NativeTensor[]; parameters: Record<string, NativeTensor> };
}

export interface NativeMemoryStats {
  allocated: number;
  peakAllocated: number;
  cached: number;
}

export interface NativeParameterCount {
  total: number;
  trainable: number;
}

export interface NativeFlopCount {
  /** Multiply-accumulates of one forward pass, counted per op as thop does (the papers' "FLOPs"). */
  macs: number;
  /** conv, linear, instance-norm, upsample-*, and matmul (attention; not in `macs`, as in thop). */
  byOp: Record<string, number>;
}

export interface NativeModel {
  readonly preset: string;
  readonly imageSize: number;
  readonly channels: number;
  /** The base channel count it was created with (0: the preset's). */
  readonly width: number;
  readonly device: string;
  /** What forward runs in, and sample, denoise and eval unless told otherwise (models.create's `precision`). */
  readonly precision: Precision;
  parameterCount(): NativeParameterCount;
  parameters(): Array<{ name: string; shape: number[]; trainable: boolean }>;
  flops(shape: number[]): NativeFlopCount;
  peakMemory(shape: number[]): { inference: number; training: number } | null;
  forward(x: NativeTensor, t: NativeTensor): Promise<NativeTensor>;
  gradientNorms(x: NativeTensor, t: NativeTensor): Promise<Record<string, number>>;
  /**
   * Where one forward pass (and with `backward`, its backward) spends its time: libtorch's profiler around
   * it, as self time per operator, largest first (`missing_u::*` rows are missing-u's kernels). One
   * untimed pass runs first. precision: default the model's.
   */
  profile(
    x: NativeTensor,
    t: NativeTensor,
    opts?: { backward?: boolean; precision?: Precision },
  ): Promise<Array<{ op: string; calls: number; selfMs: number; totalMs: number }>>;
  /** Parameters then buffers, by registered name (the checkpoint tensor names). */
  stateDict(): Array<{ name: string; tensor: NativeTensor }>;
  loadStateDict(tensors: Record<string, NativeTensor>): void;
  dispose(): void;
}

export interface NativePreset {
  name: string;
  description: string;
  /** 'cunet' presets take norm, activation, coupling and ode; 'unet' presets none of them. */
  family: 'cunet' | 'unet';
  imageSize: number;
  channels: number;
  /** Image sides must be a multiple of this (2^k for the model's k exact 2x down-samplings). */
  sizeMultiple: number;
  /** The smallest image side: the deepest level keeps at least one pixel. */
  minImageSize: number;
  /** The largest image side any preset takes (1024). */
  maxImageSize: number;
}

/** The names native code parses, one list per enum, in its order (lib/schemas/names.ts holds the same). */
export interface NativeChoices {
  samplers: string[];
  spacings: string[];
  schedules: string[];
  objectives: string[];
  precisions: string[];
  norms: string[];
  activations: string[];
  couplings: string[];
  odeMethods: string[];
  dtypes: string[];
  ddpmVariances: string[];
  traceKinds: string[];
  inputRanges: string[];
}

export type NativeProgress = (report: Record<string, number>) => void;

export interface NativeReverseResult {
  samples: NativeTensor;
  stepsDone: number;
  aborted: boolean;
}

export interface NativeDenoiseResult {
  noisy: NativeTensor;
  trace: DenoiseStepOf<NativeTensor>[];
  aborted: boolean;
}

export interface NativeTrainerState {
  step: number;
  expAvg: Record<string, NativeTensor>;
  expAvgSq: Record<string, NativeTensor>;
  generator: Uint8Array;
}

export interface NativeTrainResult {
  model: NativeModel;
  ema: NativeModel;
  losses: Float64Array;
  aborted: boolean;
  skippedSteps: number;
  dataWaitSeconds: number;
  state: NativeTrainerState;
}

export interface NativeFeatureOptions {
  batchSize?: number;
  inputRange?: InputRange;
  size?: number;
  channels?: number;
}

export interface NativeFeatureStats {
  count: number;
  dim: number;
  mean: Float64Array;
  /** Row-major (dim x dim), unbiased. */
  covariance: Float64Array;
  aborted: boolean;
}

export interface NativeGenerator {
  randn(shape: number[]): NativeTensor;
  dispose(): void;
}

export interface NativeStepResult {
  prev: NativeTensor;
  x0: NativeTensor;
  /** For multistep samplers: the x0 again, as a handle of its own for the next step. */
  history?: NativeTensor;
}

export interface NativeBinding {
  readonly sourceHash: string;
  readonly Tensor: abstract new () => NativeTensor;
  readonly ScriptModule: abstract new () => NativeScriptModule;
  readonly Model: abstract new () => NativeModel;
  readonly Generator: new (seed: number) => NativeGenerator;
  info(): NativeInfo;
  setNumThreads(n: number): void;
  createTensor(data: TensorData, shape: number[], device: string, dtype: string | undefined): NativeTensor;
  jitLoad(file: string, device: string): NativeScriptModule;
  jitLoadAsync(file: string, device: string): Promise<NativeScriptModule>;
  /** A torch.save file (zip format) read by libtorch's unpickler, as plain values (see TorchValue). */
  torchLoad(file: string): Promise<TorchValue>;
  /** Native errors are made with this class (MissingUError). Absent from addons built before it. */
  setErrorClass?(errorClass: typeof MissingUError): void;
  odeSolve(request: NativeOdeRequest): Promise<NativeOdeResult>;
  odeStageUpdate(y: NativeTensor, ks: NativeTensor[], coefs: number[], fused: boolean): NativeTensor;
  kernelSoftplus(
    x: NativeTensor,
    dy: NativeTensor,
    fused: boolean,
    dtype: 'float32' | 'bfloat16',
  ): { y: NativeTensor; dx: NativeTensor };
  memoryStats(): NativeMemoryStats | null;
  /** Options as ModelCreateSchema gives them (lib/schemas/model-options.ts). */
  modelsCreate(options: object): NativeModel;
  modelsPresets(): NativePreset[];
  choices(): NativeChoices;
  /** Why `preset` cannot take images of side `imageSize` (a safe integer >= 1), or null when it can. */
  modelsCheckImageSize(preset: string, imageSize: number): string | null;
  diffusionSample(
    denoiser: NativeModel | NativeScriptModule,
    options: object,
    onProgress: NativeProgress | undefined,
    abortFlag: Int32Array,
  ): Promise<NativeReverseResult>;
  diffusionDenoise(
    denoiser: NativeModel | NativeScriptModule,
    image: NativeTensor,
    options: object,
    onProgress: NativeProgress | undefined,
    abortFlag: Int32Array,
  ): Promise<NativeDenoiseResult>;
  diffusionSchedule(kind: string, steps: number): { betas: Float64Array; alphasCumprod: Float64Array };
  diffusionQSample(x0: NativeTensor, t: NativeTensor, noise: NativeTensor, options: object): NativeTensor;
  randn(shape: number[], seed: number): NativeTensor;
  /** The steps a reverse process of `count` steps visits, in order, and where each lands (-1: x_0). */
  diffusionReverseSteps(
    diffusionSteps: number,
    count: number,
    spacing: string,
    sampler: string,
  ): { timesteps: number[]; previous: number[] };
  diffusionTimestepTensor(t: number, like: NativeTensor): NativeTensor;
  diffusionTarget(x0: NativeTensor, noise: NativeTensor, t: NativeTensor, options: object): NativeTensor;
  diffusionLossWeights(t: NativeTensor, options: object): Float64Array;
  diffusionStep(
    prediction: NativeTensor,
    t: number,
    tPrev: number,
    x: NativeTensor,
    noise: NativeTensor | undefined,
    generator: NativeGenerator | undefined,
    options: object,
    history: { x0: NativeTensor; t: number } | undefined,
  ): NativeStepResult;
  dataDrawBatch(
    data: Float32Array | { file: string },
    shape: number[],
    options: { n: number; seed: number; horizontalFlip: boolean },
  ): NativeTensor;
  trainRun(
    options: object,
    data: Float32Array | { file: string },
    shape: number[],
    onProgress: NativeProgress | undefined,
    abortFlag: Int32Array,
    resume?: { model: NativeModel; ema: NativeModel; state: NativeTrainerState },
  ): Promise<NativeTrainResult>;
  resetPeakMemory(): void;
  metricsSsim(a: NativeTensor, b: NativeTensor, options: { dataRange?: number }): Promise<Float64Array>;
  metricsPsnr(a: NativeTensor, b: NativeTensor, options: { dataRange?: number }): Promise<Float64Array>;
  metricsFeatureStats(
    extractor: NativeScriptModule,
    images: NativeTensor,
    options: NativeFeatureOptions,
    onProgress: NativeProgress | undefined,
    abortFlag: Int32Array,
  ): Promise<NativeFeatureStats>;
  metricsFeatures(
    extractor: NativeScriptModule,
    images: NativeTensor,
    options: NativeFeatureOptions,
  ): Promise<NativeTensor>;
  metricsFrechet(
    mean1: Float64Array,
    covariance1: Float64Array,
    mean2: Float64Array,
    covariance2: Float64Array,
  ): number;
  metricsLpips(
    network: NativeScriptModule,
    a: NativeTensor,
    b: NativeTensor,
    options: { batchSize?: number; minSide?: number },
  ): Promise<Float64Array>;
}

function explainLoadFailure(err: Error): string {
  const first = err.message.split('\n')[0];
  if (process.env.MISSING_U_ADDON) {
    return (
      `missing-u's addon ${process.env.MISSING_U_ADDON} (MISSING_U_ADDON) could not be loaded: ${first}. ` +
      'For the CUDA build, rerun `npm run build:cuda` (it relinks ./libtorch-cuda and its CUDA libraries); ' +
      'unset MISSING_U_ADDON to use the CPU addon.'
    );
  }
  const libtorch = path.join(PACKAGE_ROOT, 'libtorch', 'lib');
  if (/lib(torch|c10)[\w.]*\.so/.test(err.message)) {
    return (
      `missing-u's native addon could not load libtorch from ${libtorch} (${first}). ` +
      'Run `npm rebuild missing-u` (or `node scripts/libtorch.js` in the package) to locate or fetch libtorch ' +
      '2.13.0, or set LIBTORCH to a libtorch folder and reinstall.'
    );
  }
  return (
    `missing-u's native addon could not be loaded: ${first}. No prebuilt binary fits ` +
    'this platform or it failed to load; run `npm rebuild missing-u` to build it from source (needs g++ and python3).'
  );
}

/** Where `npm run build:cuda` puts the CUDA addon. */
export const CUDA_ADDON = path.join(PACKAGE_ROOT, 'build-cuda', 'Release', 'missing_u.node');

/**
 * The addon file MISSING_U_ADDON selects: `cuda` for the CUDA build (build-cuda/), or a path to a
 * .node file; undefined when unset, and node-gyp-build picks build/Release or prebuilds/ as usual.
 */
export function selectedAddon(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const choice = env.MISSING_U_ADDON;
  if (!choice) return undefined;
  const file = choice === 'cuda' ? CUDA_ADDON : path.resolve(choice);
  if (!fs.existsSync(file)) {
    throw new MissingUError(
      choice === 'cuda'
        ? `MISSING_U_ADDON=cuda, but ${file} does not exist: run \`npm run build:cuda\` in ${PACKAGE_ROOT} first`
        : `MISSING_U_ADDON=${choice}, but there is no file ${file}: give a built missing_u.node, or 'cuda'`,
    );
  }
  return file;
}

function load(): NativeBinding {
  // libgomp reads this when the addon loads it. Its default of 300,000 spins before a worker sleeps
  // starves the thread it waits for whenever anything else runs; 30,000 keeps the idle speed
  // (figures: docs/performance.md, "OpenMP 30,000-spin default").
  if (process.env.OMP_WAIT_POLICY === undefined) process.env.GOMP_SPINCOUNT ??= '30000';
  let binding: NativeBinding;
  const file = selectedAddon();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = (file ? require(file) : loadAddon(PACKAGE_ROOT)) as NativeBinding;
  } catch (err) {
    throw new MissingUError(explainLoadFailure(err as Error));
  }
  // OMP_NUM_THREADS as PyTorch honours it: torchrun sets it to 1 per worker, so workers sharing a
  // machine do not oversubscribe its cores.
  const threads =
    Number(process.env.MISSING_U_NUM_THREADS) || Number(process.env.OMP_NUM_THREADS) || os.availableParallelism();
  binding.setNumThreads(threads);
  binding.setErrorClass?.(MissingUError);
  return binding;
}

/** The loaded addon; loading happens once, on first import of missing-u. */
export const native: NativeBinding = load();
