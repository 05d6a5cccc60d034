import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sourceHash } = require('../scripts/native-sources.js') as { sourceHash(root?: string): string };

describe('committed prebuild', () => {
  let clone: string;
  beforeAll(() => {
    clone = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-clone-')), 'missing-u');
    execFileSync('git', ['clone', '--quiet', ROOT, clone]);
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
  });
  afterAll(() => fs.rmSync(path.dirname(clone), { recursive: true, force: true }));

  it('loads in a clean clone with PREBUILDS_ONLY=1 and no compiler', () => {
    const env = {
      ...process.env,
      PREBUILDS_ONLY: '1',
      LIBTORCH: fs.realpathSync(path.join(ROOT, 'libtorch')),
      CC: '/bin/false',
      CXX: '/bin/false',
    };
    const install = spawnSync(process.execPath, ['scripts/install.js'], { cwd: clone, env, encoding: 'utf8' });
    expect(install.stderr).toContain(path.join(clone, 'prebuilds'));
    expect(install.status).toBe(0);
    expect(fs.existsSync(path.join(clone, 'build'))).toBe(false);

    const loaded = execFileSync(
      process.execPath,
      [
        '-e',
        'const b = require("node-gyp-build")(process.cwd()); console.log(JSON.stringify({ ...b.info(), hash: b.sourceHash }))',
      ],
      { cwd: clone, env, encoding: 'utf8' },
    );
    const { torch, hash } = JSON.parse(loaded) as { torch: string; hash: string };
    expect(torch).toBe('2.13.0');
    // The binary says which sources it was built from; they must be the committed ones.
    expect(hash).toBe(sourceHash(clone));
  });
});
