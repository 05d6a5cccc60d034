import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sourceHash } = require('../scripts/native-sources.js') as { sourceHash(root?: string): string };

const LIBTORCH = fs.realpathSync(path.join(ROOT, 'libtorch'));

/** A clean clone of the committed tree, sharing this checkout's node_modules. */
function cleanClone(): string {
  const clone = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-clone-')), 'missing-u');
  execFileSync('git', ['clone', '--quiet', ROOT, clone]);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
  return clone;
}

function install(clone: string, env: Record<string, string>) {
  return spawnSync(process.execPath, ['scripts/install.js'], {
    cwd: clone,
    env: { ...process.env, LIBTORCH, ...env },
    encoding: 'utf8',
  });
}

/** What the addon that node-gyp-build picks in `clone` says about itself. */
function loadedInfo(clone: string, env: Record<string, string> = {}) {
  const script =
    'const b = require("node-gyp-build")(process.cwd()); console.log(JSON.stringify({ ...b.info(), hash: b.sourceHash }))';
  const out = execFileSync(process.execPath, ['-e', script], { cwd: clone, env: { ...process.env, ...env } });
  return JSON.parse(out.toString()) as { torch: string; hash: string; build: Record<string, string> };
}

describe('install in a clean clone', () => {
  const clones: string[] = [];
  afterAll(() => clones.forEach((c) => fs.rmSync(path.dirname(c), { recursive: true, force: true })));

  it('loads the committed prebuild with PREBUILDS_ONLY=1 and no compiler', () => {
    const clone = cleanClone();
    clones.push(clone);
    const result = install(clone, { PREBUILDS_ONLY: '1', CC: '/bin/false', CXX: '/bin/false' });
    expect(result.stderr).toContain(path.join(clone, 'prebuilds'));
    expect(result.status).toBe(0);
    expect(fs.existsSync(path.join(clone, 'build'))).toBe(false);

    const loaded = loadedInfo(clone, { PREBUILDS_ONLY: '1' });
    expect(loaded.torch).toBe('2.13.0');
    // The binary says which sources it was built from; they must be the committed ones.
    expect(loaded.hash).toBe(sourceHash(clone));
  });

  it('builds from source with node-gyp only when no prebuild fits', () => {
    const clone = cleanClone();
    clones.push(clone);
    fs.rmSync(path.join(clone, 'prebuilds'), { recursive: true });

    const refused = install(clone, { PREBUILDS_ONLY: '1' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('no prebuilt binary loads here and PREBUILDS_ONLY is set');

    const built = install(clone, {});
    expect(built.stderr).toContain('building from source with node-gyp');
    expect(built.status).toBe(0);
    const loaded = loadedInfo(clone);
    expect(loaded.build.buildSystem).toBe('node-gyp');
    expect(loaded.hash).toBe(sourceHash(clone));
  }, 600_000); // a full node-gyp build: minutes on 2 cores without a compiler cache
});
