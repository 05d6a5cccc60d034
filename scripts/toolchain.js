'use strict';
// Shared by the build scripts: runs a command loudly, and sets up node-gyp's environment.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

function which(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim() || null;
}

function runOrExit(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) {
    process.stderr.write(`${command}: ${result.error.message}\n`);
    process.exit(1);
  }
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/**
 * Environment for node-gyp: compilers through ccache when installed (unless CC/CXX are chosen), all
 * cores, and Node's own headers when this Node ships them, so nothing is downloaded.
 */
function nodeGypEnv(env = process.env) {
  const out = { ...env, JOBS: env.JOBS || String(os.availableParallelism()) };
  const ccache = which('ccache');
  if (ccache && !env.CXX && !env.CC) Object.assign(out, { CC: `${ccache} gcc`, CXX: `${ccache} g++` });
  const nodeDir = path.resolve(process.execPath, '..', '..');
  if (!env.npm_config_nodedir && fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) {
    out.npm_config_nodedir = nodeDir;
  }
  return out;
}

/**
 * The CUDA toolkit that builds the CUDA variant: CUDA_HOME, CUDA_PATH, the toolkit of the nvcc on PATH
 * (asked where it lives, since PATH may hold a wrapper script), /usr/local/cuda. Null when none has bin/nvcc.
 */
function cudaHome(env = process.env) {
  const candidates = [env.CUDA_HOME, env.CUDA_PATH];
  if (which('nvcc')) {
    const dry = spawnSync('nvcc', ['--dryrun', '-v', '-x', 'cu', '-c', '/dev/null', '-o', '/dev/null'], {
      encoding: 'utf8',
    });
    const here = `${dry.stdout}${dry.stderr}`.match(/^#\$ _HERE_=(.+)$/m);
    if (here) candidates.push(path.resolve(here[1].trim(), '..'));
  }
  candidates.push('/usr/local/cuda');
  const home = candidates.filter(Boolean).find((dir) => fs.existsSync(path.join(dir, 'bin', 'nvcc')));
  return home ? fs.realpathSync(home) : null;
}

/**
 * node-gyp's CLI: the package's own (a development checkout has it as a devDependency), else the one
 * npm runs install scripts with (npm_config_node_gyp: every npm ships node-gyp), else one on PATH.
 * An installed missing-u has no node-gyp of its own, so a source build relies on the latter two; with
 * neither, one message says how to get it.
 */
function nodeGypBin(env = process.env) {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // not a development checkout
  }
  if (env.npm_config_node_gyp && fs.existsSync(env.npm_config_node_gyp)) return env.npm_config_node_gyp;
  const onPath = which('node-gyp');
  if (onPath) return fs.realpathSync(onPath);
  throw new Error(
    'missing-u: building from source needs node-gyp, and none was found (npm provides it to install scripts as ' +
      'npm_config_node_gyp). Run `npm rebuild missing-u` through npm, or `npm install -g node-gyp` and retry; ' +
      'the build also needs g++ (C++20), make and python3.',
  );
}

module.exports = { which, runOrExit, nodeGypEnv, nodeGypBin, cudaHome };
