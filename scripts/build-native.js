#!/usr/bin/env node
'use strict';
// Development build with cmake-js into build/Release (which node-gyp-build prefers over prebuilds/).
// --cuda builds against a CUDA libtorch (point LIBTORCH at one) and compiles native/cuda.

const os = require('node:os');
const { ensure, PINNED_VERSION, PACKAGE_ROOT } = require('./libtorch');
const { which, runOrExit } = require('./toolchain');

const cuda = process.argv.includes('--cuda');
const versions = cuda ? ['2.13', '2.14'] : [PINNED_VERSION];
const found = ensure({ versions });
if (cuda && !found.cuda) {
  process.stderr.write(
    `build:cuda needs a CUDA libtorch, but ${found.root} has no libtorch_cuda.so; set LIBTORCH to a CUDA libtorch.\n`,
  );
  process.exit(1);
}

const options = ['--directory', PACKAGE_ROOT, `--CDMISSING_U_LIBTORCH_ARGS=--versions;${versions.join(',')}`];
if (which('ccache')) options.push('--CDCMAKE_CXX_COMPILER_LAUNCHER=ccache', '--CDCMAKE_CUDA_COMPILER_LAUNCHER=ccache');
if (process.env.TORCH_CUDA_ARCH_LIST) options.push(`--CDTORCH_CUDA_ARCH_LIST=${process.env.TORCH_CUDA_ARCH_LIST}`);
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
// Configure every time: the source list and the source hash are read at configure time.
runOrExit(process.execPath, [cmakeJs, 'configure', ...options]);
runOrExit(process.execPath, [cmakeJs, 'build', ...options, '--parallel', String(os.availableParallelism())]);
