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

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { cudaHome } = require('./toolchain');

const PINNED_VERSION = '2.13.0';
const PACKAGE_ROOT = path.resolve(__dirname, '..');
const LINK = path.join(PACKAGE_ROOT, 'libtorch');
const MARKER = '.missing-u-libtorch.json';

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

/** The two builds: the CPU libtorch (prebuilds, tests) and the CUDA one (build:cuda). */
const VARIANTS = {
  cpu: { name: 'cpu', version: PINNED_VERSION, link: LINK, env: 'LIBTORCH', label: '(C++11 ABI)' },
  cuda: { name: 'cuda', version: CUDA_VERSION, link: CUDA_LINK, env: 'LIBTORCH_CUDA', label: '+cu130 (C++11 ABI)' },
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
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
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

/**
 * Downloads the torch wheel (and, for CUDA, the nvidia-* wheels it loads) with pip and unpacks
 * torch/{include,lib,share} (and nvidia/) into the cache; a no-op when done before.
 */
function fetchWheel(variant, log) {
  const { version } = variant;
  const cuda = variant.name === 'cuda';
  const dest = path.join(cacheRoot(), cuda ? `libtorch-${version}-cu130` : `libtorch-${version}-cpu`);
  const root = path.join(dest, 'torch');
  if (fs.existsSync(path.join(dest, MARKER))) return root;
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheRoot(), '.fetch-'));
  try {
    log(`missing-u: fetching torch==${version}${cuda ? ' (cu130) and its nvidia-* wheels' : ''} with pip into ${dest}`);
    const wheels = path.join(work, 'wheel');
    const wheel = pipDownload([`torch==${version}`], wheels).find((f) => f.startsWith('torch-'));
    if (!wheel) throw new LibtorchError('pip download produced no wheel');
    const staged = path.join(work, 'out');
    run(
      'unzip',
      ['-q', path.join(wheels, wheel), 'torch/include/*', 'torch/lib/*', 'torch/share/*', '-d', staged],
      'unzip',
    );
    const record = { version, wheel };
    if (cuda) {
      const nvidia = path.join(work, 'nvidia-wheels');
      record.nvidia = pipDownload(CUDA_WHEELS, nvidia, { platforms: MANYLINUX });
      let runtime = [];
      try {
        runtime = pipDownload([CUDA_RUNTIME_WHEEL], path.join(work, 'runtime-wheel'), { platforms: MANYLINUX });
      } catch {
        /* not on this index: the toolkit's copy below */
      }
      const files = [
        ...record.nvidia.map((f) => path.join(nvidia, f)),
        ...runtime.map((f) => path.join(work, 'runtime-wheel', f)),
      ];
      for (const file of files)
        run('unzip', ['-q', '-o', file, 'nvidia/*', '-d', staged], `unzip ${path.basename(file)}`);
      if (runtime.length > 0) {
        record.cudart = runtime[0];
      } else {
        const cudart = toolkitCudart();
        if (!cudart) {
          throw new LibtorchError(
            `${CUDA_RUNTIME_WHEEL} is not on the pip index and no CUDA ${CUDA_RUNTIME_MAJOR} toolkit ` +
              `(CUDA_HOME, nvcc on PATH, /usr/local/cuda) has libcudart.so.${CUDA_RUNTIME_MAJOR}`,
          );
        }
        const libDir = path.join(staged, 'nvidia', 'cu13', 'lib');
        fs.mkdirSync(libDir, { recursive: true });
        fs.copyFileSync(cudart, path.join(libDir, `libcudart.so.${CUDA_RUNTIME_MAJOR}`));
        record.cudart = cudart;
      }
    }
    fs.writeFileSync(path.join(staged, MARKER), JSON.stringify(record) + '\n');
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(staged, dest);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return root;
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
        `libraries in its lib/ or in ../nvidia/*/lib), or make \`pip download torch==${variant.version}\` and the ` +
        'nvidia-* wheels work (e.g. PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cu130).'
      : `Fix: set LIBTORCH to an unpacked libtorch folder (the cxx11 ABI zip from pytorch.org, version ` +
        `${variant.version}), or TORCH_DIR to its share/cmake/Torch folder, or make \`pip download torch==${variant.version}\` work.`;
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
  describe,
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
