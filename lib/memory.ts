import os from 'node:os';

import { MissingUError } from './errors';
import { native } from './native';

export interface MemoryStats {
  /** Bytes held by live CPU tensors. */
  allocated: number;
  /** Highest `allocated` since start or the last resetPeak(). */
  peakAllocated: number;
  /** Freed bytes kept by the caching allocator for reuse. */
  cached: number;
}

export const memory = {
  /** CPU tensor memory, or null when MISSING_U_CPU_ALLOCATOR=system turned the caching allocator off. */
  stats(): MemoryStats | null {
    return native.memoryStats();
  },
  resetPeak(): void {
    native.resetPeakMemory();
  },
};

/** Bytes as people read them, to 3 digits: 3.16 GB, 512 MB, 4 TB. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${Number(value.toPrecision(3))} ${units[unit]}`;
}

/** The product of `shape`'s sizes (a float: it may exceed 2^53 and still compare right). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Refuses, before anything is allocated, `bytes` (what `what` would take) beyond this machine's memory
 * (os.totalmem()): a MissingUError (code 'option') naming `what` and saying how to fix it (`fix`), in
 * place of libtorch's allocator message. Returns `bytes`.
 */
export function requireMemory(bytes: number, what: string, fix: string): number {
  const bound = os.totalmem();
  if (bytes > bound) {
    throw new MissingUError(
      `${what} would take ${formatBytes(bytes)}, more than this machine's ${formatBytes(bound)} of memory: ${fix}`,
    );
  }
  return bytes;
}

/** requireMemory for a float32 tensor of `shape` (what: for example 'initialNoise(shape)'). */
export function requireTensorMemory(shape: readonly number[], what: string, fix: string): number {
  return requireMemory(elementCount(shape) * 4, `${what} [${shape.join(', ')}]`, fix);
}
