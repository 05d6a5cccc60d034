import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The install-time locator is plain JS (it runs before TypeScript is compiled).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { locate, PINNED_VERSION, CUDA_VERSION } = require('../scripts/libtorch.js') as {
  locate(opts?: { fetch?: boolean; cuda?: boolean }): {
    version: string;
    root: string;
    source: string;
    cuda: boolean;
    cudaRuntime?: string;
  };
  PINNED_VERSION: string;
  CUDA_VERSION: string;
};

const KEYS = ['LIBTORCH', 'LIBTORCH_CUDA', 'TORCH_DIR', 'Torch_DIR', 'PYTHON', 'MISSING_U_CACHE'] as const;
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
let scratch: string;

function fakeLibtorch(version: string, cxx11: boolean): string {
  const root = fs.mkdtempSync(path.join(scratch, 'libtorch-'));
  const [major, minor, patch] = version.split('.');
  fs.mkdirSync(path.join(root, 'include', 'torch', 'headeronly'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'include', 'torch', 'headeronly', 'version.h'),
    `#define TORCH_VERSION_MAJOR ${major}\n#define TORCH_VERSION_MINOR ${minor}\n#define TORCH_VERSION_PATCH ${patch}\n`,
  );
  fs.mkdirSync(path.join(root, 'lib'));
  fs.writeFileSync(path.join(root, 'lib', 'libc10.so'), cxx11 ? 'ELF _ZNSt7__cxx1112basic_string' : 'ELF _ZNSs');
  return root;
}

/** A fake CUDA libtorch: libtorch_cuda.so, and a libc10_cuda.so naming the CUDA runtime it needs. */
function fakeCudaLibtorch(version: string, cudaRuntime: string): string {
  const root = fakeLibtorch(version, true);
  fs.writeFileSync(path.join(root, 'lib', 'libtorch_cuda.so'), 'ELF');
  fs.writeFileSync(path.join(root, 'lib', 'libc10_cuda.so'), `ELF libcudart.so.${cudaRuntime}\0`);
  return root;
}

beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-locate-'));
  for (const k of KEYS) delete process.env[k];
});
afterEach(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('libtorch locator', () => {
  it('uses LIBTORCH first and checks it is a libtorch folder', () => {
    process.env.LIBTORCH = scratch;
    expect(() => locate()).toThrow(/LIBTORCH: .* not a libtorch folder[\s\S]*Fix: set LIBTORCH/);
  });

  it('rejects a libtorch of another version', () => {
    process.env.LIBTORCH = fakeLibtorch('2.12.1', true);
    expect(() => locate()).toThrow(`version 2.12.1, but this build needs ${PINNED_VERSION}`);
  });

  it('rejects the pre-C++11 ABI build', () => {
    process.env.LIBTORCH = fakeLibtorch(PINNED_VERSION, false);
    expect(() => locate()).toThrow('pre-C++11 ABI');
  });

  it('accepts a matching folder given by TORCH_DIR (its share/cmake/Torch)', () => {
    const root = fakeLibtorch(PINNED_VERSION, true);
    process.env.TORCH_DIR = path.join(root, 'share', 'cmake', 'Torch');
    expect(locate()).toMatchObject({ version: PINNED_VERSION, root: fs.realpathSync(root), source: 'TORCH_DIR' });
  });

  it('lists every attempt and the fix when nothing works', () => {
    process.env.PYTHON = '/bin/false';
    process.env.MISSING_U_CACHE = scratch;
    let message = '';
    try {
      locate();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`libtorch ${PINNED_VERSION} (C++11 ABI) was not found. Tried, in order:`);
    expect(message).toContain('Python torch: /bin/false cannot import torch');
    expect(message).toContain(`pip wheel torch==${PINNED_VERSION}: pip download torch==${PINNED_VERSION} failed`);
    expect(message).toContain('Fix: set LIBTORCH');
  });

  it('does no work the second time: a fetched wheel is reused without pip', () => {
    // The install step already fetched into the default cache; with pip unusable it must still be found.
    process.env.PYTHON = '/bin/false';
    const found = locate();
    expect(found.version).toBe(PINNED_VERSION);
    expect(found.source).toBe(`pip wheel torch==${PINNED_VERSION}`);
  });
});

describe('libtorch locator, CUDA variant (build:cuda)', () => {
  it('takes LIBTORCH_CUDA, not LIBTORCH, and checks version and CUDA runtime', () => {
    process.env.LIBTORCH = fakeLibtorch(PINNED_VERSION, true);
    process.env.LIBTORCH_CUDA = fakeCudaLibtorch(CUDA_VERSION, '13');
    expect(locate({ cuda: true })).toMatchObject({
      version: CUDA_VERSION,
      cuda: true,
      cudaRuntime: '13',
      source: 'LIBTORCH_CUDA',
    });
  });

  it('rejects a CPU-only libtorch and one built for another CUDA runtime', () => {
    process.env.LIBTORCH_CUDA = fakeLibtorch(CUDA_VERSION, true);
    expect(() => locate({ cuda: true })).toThrow(/CPU-only libtorch[\s\S]*Fix: set LIBTORCH_CUDA/);
    process.env.LIBTORCH_CUDA = fakeCudaLibtorch(CUDA_VERSION, '12');
    expect(() => locate({ cuda: true })).toThrow('built for CUDA runtime 12');
  });

  it('wants 2.14.1+cu130, not the CPU pin', () => {
    process.env.LIBTORCH_CUDA = fakeCudaLibtorch(PINNED_VERSION, '13');
    expect(() => locate({ cuda: true })).toThrow(`version ${PINNED_VERSION}, but this build needs ${CUDA_VERSION}`);
  });
});
