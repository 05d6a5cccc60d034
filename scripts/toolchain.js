'use strict';
// Shared by the build scripts: runs a command loudly, and routes compilers through ccache when present.

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

/** Environment for node-gyp: CC/CXX via ccache when it is installed and the user has not chosen. */
function compilerEnv(env = process.env) {
  const ccache = which('ccache');
  if (!ccache || env.CXX || env.CC) return env;
  return { ...env, CC: `${ccache} gcc`, CXX: `${ccache} g++` };
}

module.exports = { which, runOrExit, compilerEnv };
