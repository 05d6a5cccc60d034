#!/usr/bin/env node
'use strict';
// `npm run prebuild`: the Node-API prebuild in prebuilds/linux-x64/, built by node-gyp against the
// pinned CPU libtorch and stripped. Commit it together with the native sources it was built from.

const fs = require('node:fs');
const path = require('node:path');
const { ensure, PACKAGE_ROOT } = require('./libtorch');
const { runOrExit, nodeGypEnv } = require('./toolchain');
const { sourceHash } = require('./native-sources');

const found = ensure();
if (found.cuda) {
  process.stderr.write(
    'prebuild: the committed prebuild is CPU-only; unset LIBTORCH/TORCH_DIR to use the pinned CPU libtorch.\n',
  );
  process.exit(1);
}
const out = path.join(PACKAGE_ROOT, 'prebuilds', `${process.platform}-${process.arch}`);
fs.rmSync(out, { recursive: true, force: true });
runOrExit(process.execPath, [require.resolve('prebuildify/bin.js'), '--napi', '--strip'], {
  cwd: PACKAGE_ROOT,
  env: { ...nodeGypEnv(), PATH: `${path.join(PACKAGE_ROOT, 'node_modules', '.bin')}:${process.env.PATH}` },
});
process.stderr.write(`prebuild: ${fs.readdirSync(out).join(', ')} in ${out} (sources ${sourceHash()})\n`);
