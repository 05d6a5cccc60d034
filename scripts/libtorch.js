#!/usr/bin/env node
'use strict';
// Finds (or fetches) the libtorch that missing-u builds and runs against, and links it at
// <package>/libtorch so that the addon's RUNPATH ($ORIGIN/../../libtorch/lib) resolves without
// LD_LIBRARY_PATH. Order: LIBTORCH, TORCH_DIR/Torch_DIR, an importable Python torch, the pip wheel.
//
// --cuda (or MISSING_U_CUDA=1) is the CUDA variant, a source build only: libtorch 2.14.1+cu130, linked
// at <package>/libtorch-cuda (the CPU link is left alone). Order: LIBTORCH_CUDA, an importable Python
// torch with CUDA, then the torch wheel and the nvidia-* wheels it loads, fetched with pip and unpacked
// side by side (torch/, nvidia/) as in site-packages, so libtorch_cuda's own RPATH finds them.
//
// Trust: a fetched torch wheel must have the sha256 pinned below, or nothing is unpacked. The cache records
// a manifest (size and sha256 of every file under torch/lib, and for CUDA under nvidia/, taken from the
// pinned wheel's RECORD) and is checked against it on every run; a cache that differs is fetched again.
// LIBTORCH, TORCH_DIR and Python torch are the user's own choice and are not hashed.

const { Buffer } = require('node:buffer');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { cudaHome } = require('./toolchain');

const PINNED_VERSION = '2.13.0';
const PACKAGE_ROOT = path.resolve(__dirname, '..');
const LINK = path.join(PACKAGE_ROOT, 'libtorch');
// In the cache folder: { version, wheel, sha256 (the wheel's), files: { 'torch/lib/libc10.so': { size, sha256 } },
// seen?: { 'torch/lib/…': 'size:mtimeMs:ctimeMs:ino:dev' } }.
const MARKER = '.missing-u-libtorch.json';
// Caches up to this size are re-hashed in full on every run (the CPU one, 468 MB: about 0.6 s here).
// Larger ones (CUDA: torch/lib and nvidia/) re-hash only files whose size, mtime, ctime or inode changed
// since they were last hashed; any write, truncation, chmod or utimes changes the ctime.
const FULL_HASH_BYTES = 1 << 30;
const RACY_MS = 2000;

const CUDA_VERSION = '2.14.1';
const CUDA_RUNTIME_MAJOR = '13'; // the cu130 wheel
const CUDA_LINK = path.join(PACKAGE_ROOT, 'libtorch-cuda');
// What torch 2.14.1+cu130 loads, pinned as its METADATA pins them (cuda-toolkit[...]==13.0.3 resolves
// to the first eight; the -cu13 packages are pinned directly). pip must find all of them.
const CUDA_WHEELS = [
  'nvidia-cublas==13.1.1.3',
  'nvidia-cuda-nvrtc==13.0.88',
  'nvidia-cuda-cupti==13.0.85', // libtorch_cpu (kineto) needs libcupti
  'nvidia-cufft==12.0.0.61',
  'nvidia-cufile==1.15.1.6',
  'nvidia-curand==10.4.0.35',
  'nvidia-cusolver==12.0.4.66',
  'nvidia-cusparse==12.6.3.3',
  'nvidia-nvjitlink>=13.0.88,<14',
  'nvidia-cudnn-cu13==9.24.0.43',
  'nvidia-cusparselt-cu13==0.8.1',
  'nvidia-nccl-cu13==2.30.7',
  'nvidia-nvshmem-cu13==3.4.5',
];
// libcudart: from its wheel when pip has it, else copied from the CUDA toolkit that builds the addon.
const CUDA_RUNTIME_WHEEL = 'nvidia-cuda-runtime==13.0.96';

/**
 * The two builds: the CPU libtorch (prebuilds, tests) and the CUDA one (build:cuda). `wheel` and `sha256` pin
 * the file `pip download torch===<pip>` must produce (sha256sum of the wheels on the index this package is
 * developed against; the CUDA one is the manylinux wheel whose torch/version.py says 2.14.1+cu130). `===`
 * compares the version string exactly, so an extra index with other local versions (+cu130, +cpu) of the
 * same release cannot make pip pick another build than the pinned one.
 * The nvidia-* wheels are pinned by version only; their files enter the manifest from their own RECORD.
 */
const VARIANTS = {
  cpu: {
    name: 'cpu',
    version: PINNED_VERSION,
    link: LINK,
    env: 'LIBTORCH',
    label: '(C++11 ABI)',
    pip: '2.13.0+cpu',
    wheel: 'torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl',
    sha256: '6746dbcbeb526eb61330b76b41ff1b4eb848951103a892eeb080dfa2b264667b',
    verified: ['torch/lib'],
  },
  cuda: {
    name: 'cuda',
    version: CUDA_VERSION,
    link: CUDA_LINK,
    env: 'LIBTORCH_CUDA',
    label: '+cu130 (C++11 ABI)',
    pip: '2.14.1',
    wheel: 'torch-2.14.1-cp311-cp311-manylinux_2_28_x86_64.whl',
    sha256: '305a61f61f35f128579f299c5bd33d475f6a01c6307336139632e30856c4854d',
    verified: ['torch/lib', 'nvidia'],
  },
};

function wantsCuda(argv = process.argv) {
  return argv.includes('--cuda') || process.env.MISSING_U_CUDA === '1';
}

class LibtorchError extends Error {}

function cacheRoot() {
  if (process.env.MISSING_U_CACHE) return process.env.MISSING_U_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'missing-u');
}

function python() {
  return process.env.PYTHON || 'python3';
}

/** Reads the version, C++ ABI and CUDA support of the libtorch folder `root` (which holds include/ and lib/). */
function describe(root) {
  const header = ['include/torch/headeronly/version.h', 'include/torch/csrc/api/include/torch/version.h']
    .map((rel) => path.join(root, rel))
    .find((file) => fs.existsSync(file));
  if (!header || !fs.existsSync(path.join(root, 'lib', 'libc10.so'))) {
    return { root, problem: 'no include/torch/.../version.h or lib/libc10.so there: not a libtorch folder' };
  }
  const text = fs.readFileSync(header, 'utf8');
  const part = (name) => (text.match(new RegExp(`#define TORCH_VERSION_${name} (\\d+)`)) || [])[1];
  const version = [part('MAJOR'), part('MINOR'), part('PATCH')].join('.');
  // A libc10 built with the C++11 ABI exports std::__cxx11 symbols; the pre-C++11-ABI build exports none.
  const cxx11Abi = fs.readFileSync(path.join(root, 'lib', 'libc10.so')).includes('__cxx11');
  const cuda = fs.existsSync(path.join(root, 'lib', 'libtorch_cuda.so'));
  const out = { root: fs.realpathSync(root), version, cxx11Abi, cuda };
  if (cuda) {
    // libc10_cuda names the CUDA runtime it was built for: libcudart.so.<major>.
    const c10cuda = path.join(root, 'lib', 'libc10_cuda.so');
    const match = fs.existsSync(c10cuda) && fs.readFileSync(c10cuda, 'latin1').match(/libcudart\.so\.(\d+)/);
    out.cudaRuntime = match ? match[1] : null;
    out.nvidiaLibDirs = nvidiaLibDirs(out.root);
  }
  return out;
}

/** The nvidia-* wheels' lib folders next to a torch folder (site-packages layout), as libtorch_cuda's RPATH expects. */
function nvidiaLibDirs(root) {
  const nvidia = path.join(root, '..', 'nvidia');
  if (!fs.existsSync(nvidia)) return [];
  return fs
    .readdirSync(nvidia)
    .sort()
    .map((name) => path.join(nvidia, name, 'lib'))
    .filter((dir) => fs.existsSync(dir));
}

/** Shared libraries that `file` needs and the dynamic loader cannot find (ldd), [] when ldd is unavailable. */
function unresolved(file) {
  const run = spawnSync('ldd', [file], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return [];
  return [...run.stdout.matchAll(/^\s*(\S+) => not found/gm)].map((m) => m[1]);
}

function accepts(found, versions, variant = VARIANTS.cpu) {
  if (found.problem) return found.problem;
  if (!versions.some((v) => found.version === v || found.version.startsWith(`${v}.`))) {
    return `version ${found.version}, but this build needs ${versions.join(' or ')}`;
  }
  if (!found.cxx11Abi) return 'built with the pre-C++11 ABI; missing-u needs the cxx11 ABI build';
  if (variant.name === 'cuda') {
    if (!found.cuda) return 'no lib/libtorch_cuda.so: a CPU-only libtorch, but build:cuda needs the CUDA one';
    if (found.cudaRuntime !== CUDA_RUNTIME_MAJOR) {
      return `built for CUDA runtime ${found.cudaRuntime ?? '?'}, but build:cuda uses CUDA ${CUDA_RUNTIME_MAJOR} (cu130)`;
    }
    const missing = unresolved(path.join(found.root, 'lib', 'libtorch_cuda.so'));
    if (missing.length > 0) {
      return `libtorch_cuda.so needs ${missing.join(', ')}, not found (the nvidia-* wheels belong in ../nvidia next to this folder)`;
    }
  }
  return null;
}

function fromPython() {
  const code =
    'import json, os, torch; print(json.dumps({"root": os.path.dirname(torch.__file__), "version": torch.__version__}))';
  const run = spawnSync(python(), ['-c', code], { encoding: 'utf8' });
  if (run.error) return { problem: `${python()} not runnable (${run.error.message})` };
  if (run.status !== 0) return { problem: `${python()} cannot import torch` };
  return { root: JSON.parse(run.stdout.trim().split('\n').pop()).root };
}

function run(cmd, args, what) {
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.error || result.status !== 0) {
    const detail = result.error ? result.error.message : result.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new LibtorchError(`${what} failed: ${detail}`);
  }
  return result.stdout;
}

// pip matches --platform exactly (no older manylinux tags), and the nvidia-* wheels carry older ones.
const MANYLINUX = ['2_28', '2_27', '2_25', '2_18', '2_17', '2014', '2_12', '2010', '2_5', '1'];

function pipDownload(specs, dir, { platforms = ['2_28'] } = {}) {
  const platformArgs = platforms.flatMap((tag) => [
    '--platform',
    `manylinux${/^\d_/.test(tag) ? '_' : ''}${tag}_x86_64`,
  ]);
  run(
    python(),
    [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--python-version',
      '3.11',
      ...platformArgs,
      '-d',
      dir,
      ...specs,
    ],
    `pip download ${specs.join(' ')}`,
  );
  return fs.readdirSync(dir).filter((f) => f.endsWith('.whl'));
}

/** The CUDA runtime library of the toolkit that builds the addon (see toolchain.js cudaHome). */
function toolkitCudart() {
  const home = cudaHome();
  if (!home) return null;
  for (const dir of ['lib64', 'lib', 'targets/x86_64-linux/lib']) {
    const file = path.join(home, dir, `libcudart.so.${CUDA_RUNTIME_MAJOR}`);
    if (fs.existsSync(file)) return fs.realpathSync(file);
  }
  return null;
}

/** The sha256 (hex) of `file`, read in 4 MiB pieces so memory stays flat whatever its size. */
function sha256File(file) {
  const hash = crypto.createHash('sha256');
  const buffer = Buffer.allocUnsafe(4 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0;) hash.update(buffer.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Refuses `file` unless its sha256 is the one pinned for `variant`'s torch wheel; returns the digest. */
function verifyWheel(file, variant = VARIANTS.cpu) {
  const actual = sha256File(file);
  if (actual !== variant.sha256) {
    throw new LibtorchError(
      `${file} is not the pinned torch ${variant.version} wheel: its sha256 is ${actual}, but missing-u pins ` +
        `${variant.wheel} to sha256 ${variant.sha256}; nothing was unpacked. Fix: run again for a fresh download; ` +
        `if the digest repeats, pip's index serves a different file than the pinned one, so point pip at an ` +
        `index that serves ${variant.wheel} (PIP_INDEX_URL, PIP_FIND_LINKS), or set ${variant.env} to a libtorch ` +
        'folder you trust.',
    );
  }
  return actual;
}

/** The files that `wheel` unpacks under `prefix`, from its RECORD: { 'torch/lib/libc10.so': { size, sha256 } }. */
function wheelFiles(wheel, prefix) {
  const text = run('unzip', ['-p', wheel, '*.dist-info/RECORD'], `unzip -p ${path.basename(wheel)} RECORD`);
  const files = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^([^",]+),sha256=([A-Za-z0-9_-]+),(\d+)\r?$/);
    if (m && m[1].startsWith(prefix)) {
      files[m[1]] = { size: Number(m[3]), sha256: Buffer.from(m[2], 'base64url').toString('hex') };
    }
  }
  if (Object.keys(files).length === 0) {
    throw new LibtorchError(`${path.basename(wheel)}: its RECORD lists no files under ${prefix}`);
  }
  return files;
}

/** Every non-folder entry under `dir`'s `folders` (relative to `dir`), with its lstat. */
function listFiles(dir, folders) {
  const out = {};
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else out[child] = fs.lstatSync(path.join(dir, child));
    }
  };
  for (const folder of folders) {
    if (fs.existsSync(path.join(dir, folder))) walk(folder);
  }
  return out;
}

const statKey = (st) => [st.size, st.mtimeMs, st.ctimeMs, st.ino, st.dev].join(':');

/**
 * Compares the files under `dir`'s `folders` with the manifest `files`: exactly the listed files, regular
 * files of the listed size and sha256. A file whose statKey equals seen[rel] (hashed and matching before) is
 * not re-hashed. Returns the first difference as a phrase, or null; `seenOut` gets the statKey of each file
 * that matched and was not changed in the last racyMs.
 */
function manifestDifference(dir, files, folders, { seen = {}, seenOut = {}, racyMs = RACY_MS } = {}) {
  const present = listFiles(dir, folders);
  for (const rel of Object.keys(files).sort()) {
    const st = present[rel];
    if (!st) return `${rel} is missing`;
    if (!st.isFile()) return `${rel} is not a regular file`;
    if (st.size !== files[rel].size) return `${rel} has ${st.size} bytes, expected ${files[rel].size}`;
  }
  const extra = Object.keys(present).find((rel) => !files[rel]);
  if (extra) return `${extra} is not a file of the pinned wheels`;
  for (const rel of Object.keys(files).sort()) {
    const key = statKey(present[rel]);
    if (seen[rel] !== key) {
      const actual = sha256File(path.join(dir, rel));
      if (actual !== files[rel].sha256) return `${rel} has sha256 ${actual}, expected ${files[rel].sha256}`;
    }
    // File times tick coarsely: a file changed within racyMs of now might change again with the same
    // stat, so it is not marked as seen (it is hashed again next time).
    if (seen[rel] === key || Date.now() - present[rel].ctimeMs > racyMs) seenOut[rel] = key;
  }
  return null;
}

function writeMarker(dir, record) {
  const temp = path.join(dir, `${MARKER}.${process.pid}.tmp`);
  fs.writeFileSync(temp, JSON.stringify(record) + '\n');
  fs.renameSync(temp, path.join(dir, MARKER));
}

/**
 * Checks the fetched cache `dest` against its marker: the pinned wheel's digest and every file of the manifest
 * (see FULL_HASH_BYTES for when unchanged files are not re-hashed). Returns null when it may be used, else why not.
 */
function verifyCache(dest, variant = VARIANTS.cpu, { fullHashBytes = FULL_HASH_BYTES, racyMs = RACY_MS } = {}) {
  let record;
  try {
    record = JSON.parse(fs.readFileSync(path.join(dest, MARKER), 'utf8'));
  } catch (err) {
    return `has an unreadable ${MARKER} (${err.message})`;
  }
  if (!record || typeof record !== 'object') return `has an unreadable ${MARKER}`;
  if (record.version !== variant.version) return `holds torch ${record.version}, not ${variant.version}`;
  if (!record.files || typeof record.files !== 'object') {
    return 'has no manifest of its files (made by an older missing-u)';
  }
  if (record.sha256 !== variant.sha256) {
    return `was not made from the pinned wheel ${variant.wheel} (sha256 ${variant.sha256})`;
  }
  const total = Object.values(record.files).reduce((sum, f) => sum + f.size, 0);
  const seen = total > fullHashBytes && record.seen ? record.seen : {};
  const seenOut = {};
  const difference = manifestDifference(dest, record.files, variant.verified, { seen, seenOut, racyMs });
  if (difference) return `differs from what was fetched: ${difference}`;
  if (total > fullHashBytes && JSON.stringify(seenOut) !== JSON.stringify(record.seen)) {
    try {
      writeMarker(dest, { ...record, seen: seenOut });
    } catch {
      /* a read-only cache: verified all the same, only re-hashed next time */
    }
  }
  return null;
}

/**
 * Downloads the torch wheel (and, for CUDA, the nvidia-* wheels it loads) with pip, checks the torch wheel's
 * pinned sha256 and unpacks torch/{include,lib,share} (and nvidia/) into the cache; a no-op when the cache
 * is there and matches its manifest. A cache that does not is fetched again (or, with its manifest rebuilt
 * from the wheels, kept when its files already match).
 */
function fetchWheel(variant, log) {
  const dest = path.join(
    cacheRoot(),
    variant.name === 'cuda' ? `libtorch-${variant.version}-cu130` : `libtorch-${variant.version}-cpu`,
  );
  const root = path.join(dest, 'torch');
  let stale = null;
  if (fs.existsSync(path.join(dest, MARKER))) {
    stale = verifyCache(dest, variant);
    if (!stale) return root;
    log(`missing-u: the libtorch cache ${dest} ${stale}; fetching torch===${variant.pip} to check it`);
  }
  try {
    fetchInto(dest, variant, log);
  } catch (err) {
    if (!stale) throw err;
    throw new LibtorchError(`the cache ${dest} ${stale}, so it is not used, and fetching again failed: ${err.message}`);
  }
  return root;
}

function fetchInto(dest, variant, log) {
  const { version } = variant;
  const cuda = variant.name === 'cuda';
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheRoot(), '.fetch-'));
  try {
    log(
      `missing-u: fetching torch===${variant.pip}${cuda ? ' (cu130) and its nvidia-* wheels' : ''} with pip into ${dest}`,
    );
    const wheels = path.join(work, 'wheel');
    const wheel = pipDownload([`torch===${variant.pip}`], wheels).find((f) => f.startsWith('torch-'));
    if (!wheel) throw new LibtorchError('pip download produced no wheel');
    const torchWheel = path.join(wheels, wheel);
    const record = { version, wheel, sha256: verifyWheel(torchWheel, variant) };
    const files = wheelFiles(torchWheel, 'torch/lib/');
    let nvidiaWheels = [];
    let cudart = null;
    if (cuda) {
      const nvidia = path.join(work, 'nvidia-wheels');
      record.nvidia = pipDownload(CUDA_WHEELS, nvidia, { platforms: MANYLINUX });
      let runtime = [];
      try {
        runtime = pipDownload([CUDA_RUNTIME_WHEEL], path.join(work, 'runtime-wheel'), { platforms: MANYLINUX });
      } catch {
        /* not on this index: the toolkit's copy below */
      }
      nvidiaWheels = [
        ...record.nvidia.map((f) => path.join(nvidia, f)),
        ...runtime.map((f) => path.join(work, 'runtime-wheel', f)),
      ];
      // Unpacked in this order with unzip -o: a later wheel's copy of a shared path wins, in the manifest too.
      for (const file of nvidiaWheels) Object.assign(files, wheelFiles(file, 'nvidia/'));
      if (runtime.length > 0) {
        record.cudart = runtime[0];
      } else {
        cudart = toolkitCudart();
        if (!cudart) {
          throw new LibtorchError(
            `${CUDA_RUNTIME_WHEEL} is not on the pip index and no CUDA ${CUDA_RUNTIME_MAJOR} toolkit ` +
              `(CUDA_HOME, nvcc on PATH, /usr/local/cuda) has libcudart.so.${CUDA_RUNTIME_MAJOR}`,
          );
        }
        files[`nvidia/cu13/lib/libcudart.so.${CUDA_RUNTIME_MAJOR}`] = {
          size: fs.statSync(cudart).size,
          sha256: sha256File(cudart),
        };
        record.cudart = cudart;
      }
    }
    record.files = files;

    // A cache made before manifests existed (or damaged only in its marker) whose files already match: keep it.
    if (
      fs.existsSync(path.join(dest, MARKER)) &&
      fs.existsSync(path.join(dest, 'torch')) &&
      !manifestDifference(dest, files, variant.verified)
    ) {
      writeMarker(dest, record);
      log(`missing-u: ${dest} matches the pinned wheel's files; its manifest is recorded`);
      return;
    }

    const staged = path.join(work, 'out');
    run('unzip', ['-q', torchWheel, 'torch/include/*', 'torch/lib/*', 'torch/share/*', '-d', staged], 'unzip');
    for (const file of nvidiaWheels) {
      run('unzip', ['-q', '-o', file, 'nvidia/*', '-d', staged], `unzip ${path.basename(file)}`);
    }
    if (cudart) {
      const libDir = path.join(staged, 'nvidia', 'cu13', 'lib');
      fs.mkdirSync(libDir, { recursive: true });
      fs.copyFileSync(cudart, path.join(libDir, `libcudart.so.${CUDA_RUNTIME_MAJOR}`));
    }
    const difference = manifestDifference(staged, files, variant.verified);
    if (difference) throw new LibtorchError(`the unpacked wheels do not match their RECORD: ${difference}`);
    writeMarker(staged, record);
    const old = path.join(work, 'old');
    if (fs.existsSync(dest)) fs.renameSync(dest, old);
    fs.renameSync(staged, dest);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Locates a usable libtorch. `versions` lists acceptable versions (prefix match); `fetch` allows the pip
 * fallback; `cuda` asks for the CUDA variant. Returns describe()'s result plus `source`; throws one
 * LibtorchError listing every attempt.
 */
function locate({ versions, fetch = true, cuda = false, log = () => {} } = {}) {
  const variant = cuda ? VARIANTS.cuda : VARIANTS.cpu;
  const wanted = versions || [variant.version];
  const tried = [];
  const consider = (source, root, { fatal }) => {
    const found = describe(root);
    const problem = accepts(found, wanted, variant);
    if (!problem) return { ...found, source };
    tried.push(`${source}: ${root} — ${problem}`);
    if (fatal) throw failure(tried, variant);
    return null;
  };

  if (process.env[variant.env]) {
    return consider(variant.env, process.env[variant.env], { fatal: true });
  }
  const cmakeDir = cuda ? null : process.env.TORCH_DIR || process.env.Torch_DIR;
  if (cmakeDir) {
    const name = process.env.TORCH_DIR ? 'TORCH_DIR' : 'Torch_DIR';
    return consider(name, path.resolve(cmakeDir, '..', '..', '..'), { fatal: true });
  }
  const py = fromPython();
  if (py.root) {
    const found = consider(`Python torch (${python()})`, py.root, { fatal: false });
    if (found) return found;
  } else {
    tried.push(`Python torch: ${py.problem}`);
  }
  if (!fetch) {
    tried.push('pip fetch: not attempted (fetching disabled)');
    throw failure(tried, variant);
  }
  const what = `pip wheel torch==${variant.version}${cuda ? ' (cu130)' : ''}`;
  let root;
  try {
    root = fetchWheel(variant, log);
  } catch (err) {
    tried.push(`${what}: ${err.message}`);
    throw failure(tried, variant);
  }
  return consider(what, root, { fatal: true });
}

function failure(tried, variant = VARIANTS.cpu) {
  const fix =
    variant.name === 'cuda'
      ? `Fix: set LIBTORCH_CUDA to an unpacked CUDA libtorch ${variant.version} (cu130, cxx11 ABI; its CUDA ` +
        `libraries in its lib/ or in ../nvidia/*/lib), or make \`pip download torch===${variant.pip}\` and the ` +
        'nvidia-* wheels work (e.g. PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cu130).'
      : `Fix: set LIBTORCH to an unpacked libtorch folder (the cxx11 ABI zip from pytorch.org, version ` +
        `${variant.version}), or TORCH_DIR to its share/cmake/Torch folder, or make ` +
        `\`pip download torch===${variant.pip}\` work (e.g. PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu).`;
  return new LibtorchError(
    [
      `libtorch ${variant.version} ${variant.label} was not found. Tried, in order:`,
      ...tried.map((t) => `  - ${t}`),
      fix,
    ].join('\n'),
  );
}

/** Points the link `at` (default <package>/libtorch) at `root` atomically, so build files and RUNPATH use one stable path. */
function link(root, at = LINK) {
  let current = null;
  try {
    current = fs.realpathSync(at);
  } catch {
    /* no link yet */
  }
  if (current === fs.realpathSync(root)) return;
  const temp = `${at}.${process.pid}.tmp`;
  fs.rmSync(temp, { force: true });
  fs.symlinkSync(root, temp, 'dir');
  if (fs.existsSync(at) && !fs.lstatSync(at).isSymbolicLink()) {
    fs.rmSync(temp, { force: true });
    throw new LibtorchError(`${at} exists and is not a symlink; remove it and retry`);
  }
  fs.renameSync(temp, at);
}

/** locate() + link(); what install and the builds call. The CUDA variant is linked at <package>/libtorch-cuda. */
function ensure(options = {}) {
  const found = locate({ log: (m) => process.stderr.write(`${m}\n`), ...options });
  const at = (options.cuda ? VARIANTS.cuda : VARIANTS.cpu).link;
  link(found.root, at);
  return { ...found, link: at };
}

/**
 * RUNPATH entries for an addon two folders below the package (build/Release, build-cuda/Release): the libtorch link, and
 * for CUDA the nvidia-* lib folders beside the linked torch folder (through the link, so relinking follows).
 */
function runpath(found) {
  const linkName = path.basename(found.link);
  const dirs = [`$ORIGIN/../../${linkName}/lib`];
  for (const dir of found.nvidiaLibDirs || []) {
    dirs.push(`$ORIGIN/../../${linkName}/../nvidia/${path.basename(path.dirname(dir))}/lib`);
  }
  return dirs;
}

module.exports = {
  PINNED_VERSION,
  CUDA_VERSION,
  PACKAGE_ROOT,
  LINK,
  CUDA_LINK,
  LibtorchError,
  VARIANTS,
  describe,
  verifyWheel,
  verifyCache,
  locate,
  link,
  ensure,
  runpath,
  wantsCuda,
};

if (require.main === module) {
  try {
    // --versions 2.13,2.14 widens what a source build accepts; --cuda selects the CUDA variant.
    const at = process.argv.indexOf('--versions');
    const versions = at > 0 ? process.argv[at + 1].split(',') : undefined;
    const found = ensure({ versions, cuda: wantsCuda() });
    if (process.argv.includes('--has-cuda')) process.stdout.write(found.cuda ? '1' : '0');
    else if (process.argv.includes('--runpath')) process.stdout.write(runpath(found).join(';') + '\n');
    else process.stdout.write(JSON.stringify(found, null, 2) + '\n');
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
