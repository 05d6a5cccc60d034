import { MissingUError } from '../errors';
import { alternatives, PRECISIONS } from '../schemas/names';

export { alternatives } from '../schemas/names';

/** A commander parser for a non-negative integer option, naming the option when the value is not one. */
export const count = (name: string) => (v: string) => {
  const n = Number(v);
  // Safe integers only: 1e20 passes Number.isInteger but is no longer exact, and wraps in native code.
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new MissingUError(`${name} must be a non-negative integer of at most 2^53 - 1 (got ${v})`);
  }
  return n;
};

/** A commander parser for a positive integer option (a count where 0 means nothing sensible). */
export const positiveCount = (name: string) => (v: string) => {
  const n = count(name)(v);
  if (n < 1) throw new MissingUError(`${name} must be at least 1 (got ${v})`);
  return n;
};

/** A commander parser for a comma-separated list of non-negative integers. */
export const counts = (name: string) => (v: string) => v.split(',').map((part) => count(name)(part.trim()));

/** A commander parser for a comma-separated list of positive integers. */
export const positiveCounts = (name: string) => (v: string) =>
  v.split(',').map((part) => positiveCount(name)(part.trim()));

/** The image shape of --shape C,H,W, which a TorchScript denoiser needs (it cannot say its own). */
export function imageShape(value: string | undefined): [number, number, number] {
  const parts = String(value ?? '')
    .split(',')
    .map(Number);
  if (parts.length !== 3 || parts.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new MissingUError('--torchscript needs --shape C,H,W (for example --shape 1,28,28)');
  }
  return parts as [number, number, number];
}

/** A commander parser for a positive number. */
export const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new MissingUError(`${name} must be a positive number (got ${v})`);
  return n;
};

/** Collects a repeatable option's values. */
export const collect = (v: string, previous: string[] = []) => [...previous, v];

/** A commander parser for an option whose value is one of `names` (a list of lib/schemas/names.ts). */
export const oneOf =
  <T extends string>(name: string, names: readonly T[]) =>
  (v: string): T => {
    if ((names as readonly string[]).includes(v)) return v as T;
    throw new MissingUError(`${name} must be ${alternatives(names)} (got ${v})`);
  };

/** A commander parser for --precision: fp32, bf16 or fp16. */
export const precisionOption = (name: string) => oneOf(name, PRECISIONS);
