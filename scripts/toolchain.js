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

function nodeGypBin() {
  return require.resolve('node-gyp/bin/node-gyp.js');
}

module.exports = { which, runOrExit, nodeGypEnv, nodeGypBin };
