#!/usr/bin/env node
'use strict';
// Development build with cmake-js into build/Release (which node-gyp-build prefers over prebuilds/).
// --cuda (npm run build:cuda) builds the CUDA variant into build-cuda/Release, against the CUDA libtorch
// (scripts/libtorch.js --cuda, linked at ./libtorch-cuda), compiling native/cuda with nvcc for
// TORCH_CUDA_ARCH_LIST (default "8.0;9.0"). It never touches build/, prebuilds/ or ./libtorch.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ensure, LibtorchError, PINNED_VERSION, PACKAGE_ROOT } = require('./libtorch');
const { which, runOrExit, cudaHome } = require('./toolchain');

const DEFAULT_CUDA_ARCHS = '8.0;9.0';
const cuda = process.argv.includes('--cuda');
const started = Date.now();

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

let found;
try {
  found = ensure(cuda ? { cuda: true } : { versions: [PINNED_VERSION] });
} catch (err) {
  if (err instanceof LibtorchError) fail(err.message);
  throw err;
}

const outDir = cuda ? 'build-cuda' : 'build';
const options = ['--directory', PACKAGE_ROOT, '--out', path.join(PACKAGE_ROOT, outDir)];
if (cuda) {
  const home = cudaHome();
  if (!home) {
    fail(
      'build:cuda needs the CUDA 13 toolkit (nvcc): install it (e.g. the nvidia-cuda-nvcc wheel or the CUDA ' +
        'toolkit from NVIDIA) and put nvcc on PATH or set CUDA_HOME.',
    );
  }
  const archs = process.env.TORCH_CUDA_ARCH_LIST || DEFAULT_CUDA_ARCHS;
  options.push(
    '--CDMISSING_U_CUDA=ON',
    `--CDCMAKE_CUDA_COMPILER=${path.join(home, 'bin', 'nvcc')}`,
    `--CDCUDA_TOOLKIT_ROOT_DIR=${home}`,
    `--CDTORCH_CUDA_ARCH_LIST=${archs}`,
  );
  process.stderr.write(
    `missing-u: CUDA build against libtorch ${found.version} (${found.root}), CUDA toolkit ${home}, ` +
      `TORCH_CUDA_ARCH_LIST=${archs}\n`,
  );
} else {
  options.push(`--CDMISSING_U_LIBTORCH_ARGS=--versions;${PINNED_VERSION}`);
}
if (which('ccache')) options.push('--CDCMAKE_CXX_COMPILER_LAUNCHER=ccache', '--CDCMAKE_CUDA_COMPILER_LAUNCHER=ccache');
const jobs = process.env.JOBS || String(os.availableParallelism());
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
// Configure every time: the source list and the source hash are read at configure time.
runOrExit(process.execPath, [cmakeJs, 'configure', ...options]);
runOrExit(process.execPath, [cmakeJs, 'build', ...options, '--parallel', jobs]);

if (cuda) {
  const addon = path.join(PACKAGE_ROOT, outDir, 'Release', 'missing_u.node');
  if (!fs.existsSync(addon)) fail(`build:cuda finished but ${addon} is missing`);
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  process.stdout.write(
    [
      `missing-u: CUDA addon built in ${minutes} min: ${addon}`,
      '  Use it with MISSING_U_ADDON=cuda (or MISSING_U_ADDON=<path to a .node>), e.g.',
      '    MISSING_U_ADDON=cuda npx missing-u info',
      '  build/ and prebuilds/ are untouched; without MISSING_U_ADDON the CPU addon loads as before.',
      '',
    ].join('\n'),
  );
}
