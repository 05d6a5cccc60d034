import { MissingUError } from './errors';
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
  /** Whether convolutions may use NNPACK (off where it cannot start on this CPU; oneDNN runs them then). */
  nnpack: boolean;
  /** The precisions this CPU runs natively: fp32 always, bf16 with avx512_bf16 or AMX, fp16 with AMX-FP16. */
  cpuPrecisions: Precision[];
  /** Build flags: source hash, build system, compiler, C++ standard, CUDA/MKL-DNN/OpenMP support. */
  build: Record<string, string>;
}

export function info(): Info {
  return native.info();
}

/** The most intra-op threads setNumThreads takes (native code's bound). */
const MAX_THREADS = 1024;

/** Sets libtorch's intra-op threads (default: MISSING_U_NUM_THREADS, else OMP_NUM_THREADS, else the number of cores). */
export function setNumThreads(n: number): void {
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_THREADS)) {
    throw new MissingUError(
      `setNumThreads(n) needs an integer n between 1 and ${MAX_THREADS}, got ${n}: ` +
        'give the number of cores to use (os.availableParallelism() is all of them)',
    );
  }
  native.setNumThreads(n);
}
