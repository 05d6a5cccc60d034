#!/usr/bin/env node
'use strict';
// The one list of native sources, read by binding.gyp and CMakeLists.txt alike, and the hash of
// everything that goes into the addon, which the binary carries so a stale prebuild is caught.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const NATIVE = path.join(ROOT, 'native');
// Compiled alone with the hash defined, so a change elsewhere never forces every file to rebuild.
const BUILD_INFO = 'native/napi/build_info.cpp';
// Files outside native/ whose content changes the binary.
const BUILD_INPUTS = ['binding.gyp', 'scripts/gloo.js', 'scripts/native-sources.js'];

/** Files under `dir`, as sorted '/'-separated paths relative to `base`. */
function walk(dir, base = ROOT) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? walk(full, base) : [path.relative(base, full).split(path.sep).join('/')];
    })
    .sort();
}

/** C++ sources of the addon (native/cuda is built by CMake only, in the CUDA build: see cudaSources). */
function sources({ withBuildInfo = false } = {}) {
  return walk(NATIVE).filter(
    (file) => file.endsWith('.cpp') && !file.startsWith('native/cuda/') && (withBuildInfo || file !== BUILD_INFO),
  );
}

/** native/cuda: .cu kernels (nvcc) and .cpp host code that needs CUDA libtorch headers (the C++ compiler). */
function cudaSources() {
  return walk(NATIVE).filter((file) => file.startsWith('native/cuda/') && /\.(cu|cpp)$/.test(file));
}

/** sha256 over the path and content of every native file and build input, in sorted order. */
function sourceHash(root = ROOT) {
  const hash = crypto.createHash('sha256');
  for (const rel of [...walk(path.join(root, 'native'), root), ...BUILD_INPUTS].sort()) {
    hash.update(`${rel}\0`);
    hash.update(fs.readFileSync(path.join(root, rel)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

module.exports = { BUILD_INFO, sources, cudaSources, sourceHash };

if (require.main === module) {
  const arg = process.argv[2];
  const out = {
    '--list': () => sources().join('\n'),
    '--list-cmake': () => sources({ withBuildInfo: true }).join(';'),
    '--list-cuda-cmake': () => cudaSources().join(';'),
    '--build-info': () => BUILD_INFO,
    '--hash': () => sourceHash(),
  }[arg];
  if (!out) {
    process.stderr.write(
      'usage: native-sources.js --list | --list-cmake | --list-cuda-cmake | --build-info | --hash\n',
    );
    process.exit(2);
  }
  process.stdout.write(`${out()}\n`);
}
