import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { info } from '../lib';
import { runCliJson, runCliSync } from './helpers/cli-run';

const ROOT = path.resolve(__dirname, '..');

// The CPU build pins libtorch 2.13.0; the CUDA build (npm run build:cuda, MISSING_U_ADDON=cuda) 2.14.1.
const TORCH = info().build.cudaVersion ? '2.14.1' : '2.13.0';

describe('info', () => {
  it('reports the pinned torch, CUDA state, threads and build flags', () => {
    const i = info();
    expect(i.torch).toBe(TORCH);
    expect(typeof i.cuda).toBe('boolean');
    expect(i.cudaDeviceCount).toBeGreaterThanOrEqual(0);
    expect(i.threads).toBeGreaterThan(0);
    expect(typeof i.nnpack).toBe('boolean');
    expect(i.build.sourceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(i.build.cxx11Abi).toBe('yes');
  });

  it('is printed by `missing-u info`, as text and as JSON', () => {
    const json = runCliJson(['info', '--json']);
    expect(json).toEqual(info());
    const { status, stdout: text } = runCliSync(['info']);
    expect(status).toBe(0);
    expect(text).toMatch(new RegExp(`^torch\\s+${TORCH}$`, 'm'));
    expect(text).toMatch(/^threads\s+\d+$/m);
    expect(text).toMatch(/^nnpack\s+(yes|no \(convolutions run on oneDNN\))$/m);
  });

  it('keeps stderr empty while convolutions run, whether or not NNPACK can start here', () => {
    const script = `
      const m = require('./dist/lib');
      const model = m.models.create({ preset: 'cunet-mnist', seed: 0 });
      const x = m.randn([2, 1, 28, 28], 0);
      const t = m.tensor(new Float32Array([5, 500]), [2]);
      (async () => { for (let i = 0; i < 3; i++) (await model.forward(x, t)).dispose(); })();`;
    const result = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });

  it("keeps the profiler's own lines off stderr, and shows them with MISSING_U_VERBOSE=1", () => {
    const script = `
      const m = require('./dist/lib');
      const model = m.models.create({ preset: 'unet-mnist', imageSize: 8, width: 8, seed: 0 });
      const x = m.randn([1, 1, 8, 8], 0);
      const t = m.tensor(new Float32Array([5]), [1]);
      (async () => { for (let i = 0; i < 2; i++) await model.profile(x, t); })();`;
    const env = { ...process.env, KINETO_LOG_LEVEL: '' };
    const quiet = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env });
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    const verbose = spawnSync(process.execPath, ['-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...env, MISSING_U_VERBOSE: '1' },
    });
    expect(verbose.status).toBe(0);
    expect(verbose.stderr).not.toBe('');
  });
});
