// The named choices of missing-u's options, one list per concept. Schemas (z.enum), the CLI's flag parsers
// and help text are made from these lists. Native code parses the same names with its own table per enum
// (native.choices(), napi/choices_binding.cpp); test/choices.test.ts checks that each list equals native's.

/**
 * Reverse-process samplers: 'ddpm' (ancestral, Ho et al. 2020), 'ddim' (Song et al. 2021),
 * 'dpmpp-2m' (DPM-Solver++(2M), Lu et al. 2022: multistep, deterministic) and 'ode' (the
 * probability-flow ODE, Song et al. 2021, solved by missing-u's ODE engine: `ode` options).
 */
export const SAMPLERS = ['ddpm', 'ddim', 'dpmpp-2m', 'ode'] as const;
export type Sampler = (typeof SAMPLERS)[number];

/**
 * Which steps a reverse process of n steps visits: 'improved' (improved-diffusion's space_timesteps),
 * 'official' (the official code's ddim_sample grid, linspace(-1, T - 1, n + 1)), and diffusers'
 * DDIMScheduler 'leading', 'trailing' and 'linspace' (each step landing on t - T // n).
 */
export const SPACINGS = ['improved', 'official', 'leading', 'trailing', 'linspace'] as const;
export type Spacing = (typeof SPACINGS)[number];

/** Noise schedules: 'linear' (1e-4..0.02, Ho et al.), 'cosine' (Nichol & Dhariwal) and 'sigmoid' (lucidrains'). */
export const SCHEDULES = ['linear', 'cosine', 'sigmoid'] as const;
export type Schedule = (typeof SCHEDULES)[number];

/** What the network predicts: the noise, the clean image, or v = sqrt(abar) eps - sqrt(1 - abar) x_0. */
export const OBJECTIVES = ['eps', 'x0', 'v'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** DDPM's step variance: beta_t ('fixedlarge') or the posterior's ('fixedsmall'). */
export const DDPM_VARIANCES = ['fixedlarge', 'fixedsmall'] as const;
export type DdpmVariance = (typeof DDPM_VARIANCES)[number];

/** What a denoise trace keeps after every step: only metrics, or the images too. */
export const TRACE_KINDS = ['metrics', 'images'] as const;
export type TraceKind = (typeof TRACE_KINDS)[number];

/** A Tensor's element type, as tensor() takes it and `Tensor.dtype` reports it. */
export const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'uint8', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

/** The arithmetic a network runs in: float32, or bfloat16 / float16 as PyTorch's autocast runs them. */
export const PRECISIONS = ['fp32', 'bf16', 'fp16'] as const;

/** Normalisation in a cU-Net's ODE functions: 'instance' (the official code) or 'group' (the paper's text). */
export const NORMS = ['instance', 'group'] as const;

/** A network's activation: 'softplus' (the official code), 'relu' (the paper's text) or 'silu'. */
export const ACTIVATIONS = ['softplus', 'relu', 'silu'] as const;

/** How an ODE block couples h and v: dh/ds = v (the paper's equations) or the official code's first-order form. */
export const COUPLINGS = ['second-order', 'augmented-first-order'] as const;

/** Explicit Runge-Kutta methods: four fixed-step ones and adaptive Dormand-Prince 5(4). */
export const ODE_METHODS = ['euler', 'midpoint', 'rk4', 'rk4-3/8', 'dopri5'] as const;
export type OdeMethod = (typeof ODE_METHODS)[number];

/** The value range a feature extractor expects; images are always given in [-1, 1]. */
export const INPUT_RANGES = ['-1,1', '0,1', '0,255'] as const;
export type InputRange = (typeof INPUT_RANGES)[number];

/** How a prepare fits images to the square: resize the short side and centre-crop ('cover'), or 'squash'. */
export const RESIZE_RULES = ['cover', 'squash'] as const;
export type ResizeRule = (typeof RESIZE_RULES)[number];

/** What reading images does at an unreadable one: 'skip' it (and report it) or 'fail'. */
export const CORRUPT_IMAGE_ACTIONS = ['skip', 'fail'] as const;
export type CorruptImageAction = (typeof CORRUPT_IMAGE_ACTIONS)[number];

/** Names as help text and messages list them: "a", "a or b", "a, b or c". */
export function alternatives(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
