#!/usr/bin/env node
'use strict';
// Formats native/ with the clang-format binary that the clang-format npm package ships;
// --check lists unformatted files and fails instead of rewriting them.

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const check = process.argv.includes('--check');
const files = require('node:fs')
  .readdirSync(path.join(ROOT, 'native'), { recursive: true })
  .map((f) => path.join('native', String(f)))
  .filter((f) => /\.(h|cpp|cu|cuh)$/.test(f))
  .sort();
const bin = require.resolve('clang-format/index.js');
const args = check ? ['--dry-run', '--Werror', ...files] : ['-i', ...files];
const result = spawnSync(process.execPath, [bin, '--style=file', ...args], { cwd: ROOT, stdio: 'inherit' });
process.exit(result.status ?? 1);
