#!/usr/bin/env node
'use strict';
// Finds (or fetches) the libtorch that missing-u builds and runs against, and links it at
// <package>/libtorch so that the addon's RUNPATH ($ORIGIN/../../libtorch/lib) resolves without
// LD_LIBRARY_PATH. Order: LIBTORCH, TORCH_DIR/Torch_DIR, an importable Python torch, the pip wheel.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const PINNED_VERSION = '2.13.0';
const PACKAGE_ROOT = path.resolve(__dirname, '..');
const LINK = path.join(PACKAGE_ROOT, 'libtorch');
const MARKER = '.missing-u-libtorch.json';

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
  return { root: fs.realpathSync(root), version, cxx11Abi, cuda };
}

function accepts(found, versions) {
  if (found.problem) return found.problem;
  if (!versions.some((v) => found.version === v || found.version.startsWith(`${v}.`))) {
    return `version ${found.version}, but this build needs ${versions.join(' or ')}`;
  }
  if (!found.cxx11Abi) return 'built with the pre-C++11 ABI; missing-u needs the cxx11 ABI build';
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

/** Downloads the torch wheel with pip and unpacks torch/{include,lib,share} into the cache; a no-op when done before. */
function fetchWheel(version, log) {
  const dest = path.join(cacheRoot(), `libtorch-${version}-cpu`);
  const root = path.join(dest, 'torch');
  if (fs.existsSync(path.join(dest, MARKER))) return root;
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheRoot(), '.fetch-'));
  try {
    log(`missing-u: fetching torch==${version} with pip into ${dest}`);
    const wheels = path.join(work, 'wheel');
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
        '--platform',
        'manylinux_2_28_x86_64',
        '-d',
        wheels,
        `torch==${version}`,
      ],
      `pip download torch==${version}`,
    );
    const wheel = fs.readdirSync(wheels).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new LibtorchError('pip download produced no wheel');
    const staged = path.join(work, 'out');
    run(
      'unzip',
      ['-q', path.join(wheels, wheel), 'torch/include/*', 'torch/lib/*', 'torch/share/*', '-d', staged],
      'unzip',
    );
    fs.writeFileSync(path.join(staged, MARKER), JSON.stringify({ version, wheel }) + '\n');
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(staged, dest);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return root;
}

/**
 * Locates a usable libtorch. `versions` lists acceptable versions (prefix match); `fetch` allows the pip
 * fallback. Returns describe()'s result plus `source`; throws one LibtorchError listing every attempt.
 */
function locate({ versions = [PINNED_VERSION], fetch = true, log = () => {} } = {}) {
  const tried = [];
  const consider = (source, root, { fatal }) => {
    const found = describe(root);
    const problem = accepts(found, versions);
    if (!problem) return { ...found, source };
    tried.push(`${source}: ${root} — ${problem}`);
    if (fatal) throw failure(tried);
    return null;
  };

  if (process.env.LIBTORCH) {
    return consider('LIBTORCH', process.env.LIBTORCH, { fatal: true });
  }
  const cmakeDir = process.env.TORCH_DIR || process.env.Torch_DIR;
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
    throw failure(tried);
  }
  let root;
  try {
    root = fetchWheel(PINNED_VERSION, log);
  } catch (err) {
    tried.push(`pip wheel torch==${PINNED_VERSION}: ${err.message}`);
    throw failure(tried);
  }
  return consider(`pip wheel torch==${PINNED_VERSION}`, root, { fatal: true });
}

function failure(tried) {
  return new LibtorchError(
    [
      `libtorch ${PINNED_VERSION} (C++11 ABI) was not found. Tried, in order:`,
      ...tried.map((t) => `  - ${t}`),
      'Fix: set LIBTORCH to an unpacked libtorch folder (the cxx11 ABI zip from pytorch.org, version ' +
        `${PINNED_VERSION}), or TORCH_DIR to its share/cmake/Torch folder, or make \`pip download torch==${PINNED_VERSION}\` work.`,
    ].join('\n'),
  );
}

/** Points <package>/libtorch at `root` (atomically), so build files and RUNPATH use one stable path. */
function link(root) {
  let current = null;
  try {
    current = fs.realpathSync(LINK);
  } catch {
    /* no link yet */
  }
  if (current === fs.realpathSync(root)) return;
  const temp = `${LINK}.${process.pid}.tmp`;
  fs.rmSync(temp, { force: true });
  fs.symlinkSync(root, temp, 'dir');
  if (fs.existsSync(LINK) && !fs.lstatSync(LINK).isSymbolicLink()) {
    throw new LibtorchError(`${LINK} exists and is not a symlink; remove it and retry`);
  }
  fs.renameSync(temp, LINK);
}

/** locate() + link(); what install and the builds call. */
function ensure(options = {}) {
  const found = locate({ log: (m) => process.stderr.write(`${m}\n`), ...options });
  link(found.root);
  return found;
}

module.exports = { PINNED_VERSION, PACKAGE_ROOT, LINK, LibtorchError, describe, locate, link, ensure };

if (require.main === module) {
  try {
    // --versions 2.13,2.14 widens what a source build accepts (the CUDA wheel is 2.14.1).
    const at = process.argv.indexOf('--versions');
    const versions = at > 0 ? process.argv[at + 1].split(',') : [PINNED_VERSION];
    const found = ensure({ versions });
    if (process.argv.includes('--has-cuda')) process.stdout.write(found.cuda ? '1' : '0');
    else process.stdout.write(JSON.stringify({ ...found, link: LINK }, null, 2) + '\n');
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
