import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Variant {
  version: string;
  wheel: string;
  sha256: string;
}
interface Locator {
  locate(opts?: { fetch?: boolean; cuda?: boolean }): {
    version: string;
    root: string;
    source: string;
    cuda: boolean;
    cudaRuntime?: string;
  };
  verifyWheel(file: string, variant?: Variant): string;
  verifyCache(dest: string, variant?: Variant, opts?: { fullHashBytes?: number }): string | null;
  VARIANTS: { cpu: Variant; cuda: Variant };
  PINNED_VERSION: string;
  CUDA_VERSION: string;
}
// The install-time locator is plain JS (it runs before TypeScript is compiled).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const locator = require('../scripts/libtorch.js') as Locator;
const { locate, verifyWheel, verifyCache, VARIANTS, PINNED_VERSION, CUDA_VERSION } = locator;

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

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * A fetched CPU cache as fetchWheel leaves it, in MISSING_U_CACHE: a fake torch folder and the marker with the
 * pinned wheel's digest and the manifest of torch/lib. Returns the cache folder.
 */
function fakeCache(): string {
  process.env.MISSING_U_CACHE = scratch;
  const dest = path.join(scratch, `libtorch-${PINNED_VERSION}-cpu`);
  fs.mkdirSync(dest);
  fs.renameSync(fakeLibtorch(PINNED_VERSION, true), path.join(dest, 'torch'));
  fs.writeFileSync(path.join(dest, 'torch', 'lib', 'libtorch_cpu.so'), 'ELF libtorch_cpu');
  const files: Record<string, { size: number; sha256: string }> = {};
  for (const name of fs.readdirSync(path.join(dest, 'torch', 'lib'))) {
    const file = path.join(dest, 'torch', 'lib', name);
    files[`torch/lib/${name}`] = { size: fs.statSync(file).size, sha256: sha256(file) };
  }
  const { wheel, sha256: digest } = VARIANTS.cpu;
  fs.writeFileSync(
    path.join(dest, '.missing-u-libtorch.json'),
    JSON.stringify({ version: PINNED_VERSION, wheel, sha256: digest, files }),
  );
  return dest;
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
    expect(message).toContain(`pip wheel torch==${PINNED_VERSION}: pip download torch===${PINNED_VERSION}+cpu failed`);
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

describe('libtorch locator, trust in the fetched wheel and its cache', () => {
  it('refuses a torch wheel whose sha256 is not the pinned one, naming the file, both digests and the fix', () => {
    const file = path.join(scratch, VARIANTS.cpu.wheel);
    fs.writeFileSync(file, 'not the wheel that was pinned');
    const actual = sha256(file);
    for (const variant of [VARIANTS.cpu, VARIANTS.cuda]) {
      let message = '';
      try {
        verifyWheel(file, variant);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain(`${file} is not the pinned torch ${variant.version} wheel`);
      expect(message).toContain(`its sha256 is ${actual}`);
      expect(message).toContain(`pins ${variant.wheel} to sha256 ${variant.sha256}; nothing was unpacked`);
      expect(message).toContain('Fix: run again for a fresh download');
    }
    expect(VARIANTS.cpu.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(VARIANTS.cuda.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('uses a cache that matches its manifest, and refuses one whose library had a byte appended', () => {
    const dest = fakeCache();
    process.env.PYTHON = '/bin/false'; // no Python torch, and no pip to fetch again with
    expect(locate()).toMatchObject({ source: `pip wheel torch==${PINNED_VERSION}`, version: PINNED_VERSION });

    fs.appendFileSync(path.join(dest, 'torch', 'lib', 'libc10.so'), 'x');
    expect(() => locate()).toThrow(
      new RegExp(
        `the cache ${dest} differs from what was fetched: torch/lib/libc10.so has \\d+ bytes, expected \\d+, ` +
          'so it is not used, and fetching again failed',
      ),
    );
  });

  it('finds a same-size change, a truncated or extra file, and a marker without a manifest', () => {
    const dest = fakeCache();
    const lib = path.join(dest, 'torch', 'lib', 'libtorch_cpu.so');
    // fullHashBytes 0: the mode for large caches, where files with unchanged stat are not re-hashed. Files
    // changed in the last racyMs are always re-hashed; wait past that (and past a coarse clock tick).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60);
    const fast = { fullHashBytes: 0, racyMs: 30 };
    expect(verifyCache(dest, VARIANTS.cpu, fast)).toBeNull();
    const marker = path.join(dest, '.missing-u-libtorch.json');
    expect(Object.keys(JSON.parse(fs.readFileSync(marker, 'utf8')).seen)).toContain('torch/lib/libtorch_cpu.so');
    expect(verifyCache(dest, VARIANTS.cpu, fast)).toBeNull();

    const { atime, mtime } = fs.statSync(lib);
    fs.writeFileSync(lib, 'ELF libtorch_cpX'); // same size; mtime put back, the ctime still moves
    fs.utimesSync(lib, atime, mtime);
    expect(verifyCache(dest, VARIANTS.cpu, fast)).toMatch(
      /^differs from what was fetched: torch\/lib\/libtorch_cpu\.so has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}$/,
    );
    expect(verifyCache(dest)).toMatch(/torch\/lib\/libtorch_cpu\.so has sha256/);

    fs.writeFileSync(lib, 'ELF');
    expect(verifyCache(dest)).toMatch(/torch\/lib\/libtorch_cpu\.so has 3 bytes, expected 16$/);
    fs.writeFileSync(lib, 'ELF libtorch_cpu');
    expect(verifyCache(dest)).toBeNull();

    fs.writeFileSync(path.join(dest, 'torch', 'lib', 'libextra.so'), 'ELF');
    expect(verifyCache(dest)).toMatch(/torch\/lib\/libextra\.so is not a file of the pinned wheels/);
    fs.rmSync(path.join(dest, 'torch', 'lib', 'libextra.so'));

    fs.writeFileSync(marker, JSON.stringify({ version: PINNED_VERSION, wheel: VARIANTS.cpu.wheel }));
    expect(verifyCache(dest)).toBe('has no manifest of its files (made by an older missing-u)');
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
