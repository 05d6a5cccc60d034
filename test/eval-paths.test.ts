import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { eval as evaluate, jit } from '../lib';
import { missingURejection } from './helpers/errors';
import { runCliSync } from './helpers/cli-run';
import { placeholderStats } from './helpers/feature-stats';

const TINY_DENOISER = path.join(__dirname, 'fixtures', 'tiny_denoiser.pt');
const IMAGES = "give 'mnist', a .safetensors file, a checkpoint folder or an image folder";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mu-eval-paths-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('eval fid and fid-steps check their paths before any work', () => {
  it('eval fid --fake that does not exist fails before the real features are computed', () => {
    const run = runCliSync(['eval', 'fid', '--real', 'mnist', '--fake', 'nonexist', '--n', '16', '--no-cache']);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`missing-u: --fake nonexist does not exist: ${IMAGES}\n`);
  });

  it('eval fid-steps lists every path that is wrong, in one message', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const missing = path.join(dir, 'missing');
    const args = ['eval', 'fid-steps', '--checkpoint', `a=${missing}`, '--checkpoint', file];
    args.push('--torchscript', `s=${missing}.pt`, '--torchscript', dir, '--shape', '1,28,28');
    args.push('--real', `${missing}.stats.safetensors`, '--extractor', `${missing}-x.pt`);
    const run = runCliSync([...args, '--cache', path.join(file, 'stats'), '--report', file]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`missing-u: --report ${file}: ${file} is a file, not a folder\n`);
    const again = runCliSync([...args, '--cache', path.join(file, 'stats')]);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(
      [
        `missing-u: --checkpoint ${missing} does not exist: give a checkpoint folder`,
        `--checkpoint ${file} is a file, not a folder`,
        `--torchscript ${missing}.pt does not exist: give a TorchScript file`,
        `--torchscript ${dir} is a folder, not a file`,
        `--real ${missing}.stats.safetensors does not exist: give a feature statistics file`,
        `--extractor ${missing}-x.pt does not exist: give a TorchScript feature extractor`,
        '',
      ].join('\n'),
    );
    const real = runCliSync(
      ['eval', 'fid-steps', '--torchscript', TINY_DENOISER, '--shape', '1,28,28'].concat([
        '--real',
        missing,
        '--cache',
        path.join(file, 'stats'),
      ]),
    );
    expect(real.stderr).toBe(
      `missing-u: --real ${missing} does not exist: ${IMAGES}\n` +
        `--cache ${path.join(file, 'stats')}: ${file} is a file, so no folder can be made under it\n`,
    );
  });

  it('eval fid-steps runs one forward first: a TorchScript model of another size fails at once', () => {
    const args = ['eval', 'fid-steps', '--torchscript', `tiny=${TINY_DENOISER}`, '--shape', '3,28,28'];
    const run = runCliSync([...args, '--steps', '2', '--n', '16', '--no-cache']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `missing-u: eval fid-steps: denoiser 'tiny' (${TINY_DENOISER}) fails one forward at [1, 3, 28, 28], ` +
        'the image shape [3, 28, 28] it was given: TorchScript forward failed: RuntimeError: Given groups=1, ' +
        'weight of size [8, 1, 3, 3], expected input[1, 3, 28, 28] to have 1 channels, but got 3 channels instead\n',
    );
    // Neither the real features nor any row were computed.
    expect(run.stderr).not.toContain('features');
    expect(run.stderr).not.toContain('fid-steps 0/');
  });

  it('eval.fidSteps runs that forward before its first row', async () => {
    const extractor = evaluate.loadExtractor('mnist');
    using script = jit.load(TINY_DENOISER);
    try {
      const real = placeholderStats(extractor.name);
      const progress: unknown[] = [];
      const err = await missingURejection(
        evaluate.fidSteps([{ name: 's', denoiser: script, shape: [3, 28, 28] }], {
          real,
          extractor,
          n: 8,
          steps: [2],
          onProgress: (p) => progress.push(p),
        }),
      );
      expect(err.code).toBe('shape');
      expect(err.message).toMatch(
        /^eval\.fidSteps: denoiser 's' fails one forward at \[1, 3, 28, 28\], the image shape/,
      );
      expect(progress).toEqual([]);
    } finally {
      extractor.module.dispose();
    }
  });
});
