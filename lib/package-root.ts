import fs from 'node:fs';
import path from 'node:path';

/** The folder holding missing-u's package.json, whether running from lib/ (ts-jest) or dist/lib/. */
export const PACKAGE_ROOT: string = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'missing-u') return dir;
    if (path.dirname(dir) === dir) throw new Error(`missing-u: no package.json found above ${__dirname}`);
  }
})();

export const PACKAGE_VERSION: string = JSON.parse(
  fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8'),
).version;
