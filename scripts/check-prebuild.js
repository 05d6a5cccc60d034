#!/usr/bin/env node
'use strict';
// Fails when the committed prebuild was not built from the committed native sources, so a stale
// binary can never pass the tests. Loads the prebuild itself, never build/Release.

process.env.PREBUILDS_ONLY = '1';
const loadAddon = require('node-gyp-build');
const { PACKAGE_ROOT } = require('./libtorch');
const { sourceHash } = require('./native-sources');

let binary;
try {
  binary = loadAddon.resolve(PACKAGE_ROOT);
} catch (err) {
  process.stderr.write(`check-prebuild: no prebuild for this platform: ${err.message}\n`);
  process.exit(1);
}
const addon = require(binary);
const built = addon.sourceHash;
const expected = sourceHash();
if (built !== expected) {
  process.stderr.write(
    `check-prebuild: ${binary} was built from native sources ${built}, but the sources here hash to ${expected}.\n` +
      'Run `npm run prebuild` and commit prebuilds/ with the native change.\n',
  );
  process.exit(1);
}
if (addon.info().build.distributed !== 'gloo') {
  process.stderr.write(
    `check-prebuild: ${binary} was built without distributed training (no Gloo headers).\n` +
      'Run `npm run prebuild` where scripts/gloo.js can fetch them (or set GLOO_INCLUDE_DIR) and commit prebuilds/.\n',
  );
  process.exit(1);
}
process.stdout.write(`check-prebuild: ${binary} matches the native sources (${expected})\n`);
