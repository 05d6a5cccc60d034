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
