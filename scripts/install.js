#!/usr/bin/env node
'use strict';
// `npm install`: find or fetch libtorch, then node-gyp-build: use the prebuilt binary when it loads
// here, and build from source with node-gyp only when none fits (never when PREBUILDS_ONLY is set).

const { spawnSync } = require('node:child_process');
const { ensure, LibtorchError, PACKAGE_ROOT } = require('./libtorch');
const { nodeGypEnv, nodeGypBin } = require('./toolchain');

try {
  const found = ensure();
  process.stderr.write(`missing-u: libtorch ${found.version} from ${found.source} (${found.root})\n`);
} catch (err) {
  if (!(err instanceof LibtorchError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

// Loaded in a child so that a binary that fails to load cannot take the installer down with it.
const probe = spawnSync(
  process.execPath,
  ['-e', 'process.stdout.write(require("node-gyp-build").resolve(process.argv[1]))', PACKAGE_ROOT],
  { encoding: 'utf8' },
);
// MISSING_U_FORCE_BUILD=1 skips the prebuilt binary (to test the source build).
const loads =
  !process.env.MISSING_U_FORCE_BUILD &&
  probe.status === 0 &&
  spawnSync(process.execPath, ['-e', 'require(process.argv[1])', probe.stdout], { encoding: 'utf8' }).status === 0;

if (loads) {
  process.stderr.write(`missing-u: using ${probe.stdout}\n`);
} else if (process.env.PREBUILDS_ONLY) {
  process.stderr.write('missing-u: no prebuilt binary loads here and PREBUILDS_ONLY is set, so nothing is built.\n');
  process.exit(1);
} else {
  process.stderr.write('missing-u: no prebuilt binary fits; building from source with node-gyp\n');
  let nodeGyp;
  try {
    nodeGyp = nodeGypBin();
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  const built = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--release'], {
    cwd: PACKAGE_ROOT,
    env: nodeGypEnv(),
    stdio: 'inherit',
  });
  if (built.status !== 0) {
    process.stderr.write(
      'missing-u: the source build failed (see above). It needs g++ with C++20, make and python3 ' +
        '(Debian/Ubuntu: apt-get install g++ make python3), and libtorch 2.13.0 (found above); ' +
        'then run `npm rebuild missing-u`.\n',
    );
    process.exit(built.status ?? 1);
  }
}
