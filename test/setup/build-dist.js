// Jest global setup: the CLI tests run dist/lib/cli/main.js, so lib/ is compiled into dist/ once, before
// any test file. --incremental (as in `npm run build:ts`) turns an unchanged tree into a check of
// dist/tsconfig.build.tsbuildinfo.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = function buildDist() {
  const root = path.resolve(__dirname, '..', '..');
  const tsc = require.resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--incremental'], {
      cwd: root,
      encoding: 'utf8',
    });
  } catch (err) {
    throw new Error(`tsc -p tsconfig.build.json failed, so dist/ would be stale:\n${err.stdout || err.message}`);
  }
};
