import { native } from './native';
import type { Precision } from './schemas/precision';

export interface Info {
  /** libtorch version the addon was built against. */
  torch: string;
  /** Whether a CUDA device can be used (CUDA compiled in and at least one device visible). */
  cuda: boolean;
  cudaDeviceCount: number;
  /** Intra-op threads libtorch uses. */
  threads: number;
  /** The precisions this CPU runs natively: fp32 always, bf16 with avx512_bf16 or AMX, fp16 with AMX-FP16. */
  cpuPrecisions: Precision[];
  /** Build flags: source hash, build system, compiler, C++ standard, CUDA/MKL-DNN/OpenMP support. */
  build: Record<string, string>;
}

export function info(): Info {
  return native.info();
}

/** Sets libtorch's intra-op threads (default: MISSING_U_NUM_THREADS, else OMP_NUM_THREADS, else the number of cores). */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}
