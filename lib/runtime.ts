import { native } from './native';

export interface Info {
  /** libtorch version the addon was built against. */
  torch: string;
  /** Whether a CUDA device can be used (CUDA compiled in and at least one device visible). */
  cuda: boolean;
  cudaDeviceCount: number;
  /** Intra-op threads libtorch uses. */
  threads: number;
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
