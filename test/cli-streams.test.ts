import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadCheckpoint } from '../lib';
import { CLI, writeTinyConfig } from './helpers/cli-run';

const FIXTURES = path.join(__dirname, 'fixtures');

/** Runs `command` under bash with the CLI as $CLI; its exit status is the CLI's (pipefail off: PIPESTATUS). */
function bash(command: string) {
  return spawnSync('bash', ['-c', `set +o pipefail; ${command}; exit \${PIPESTATUS[0]}`], {
    encoding: 'utf8',
    // One thread: two spin against each other on a busy machine (20 steps: 45 s against 6 s).
    env: { ...process.env, NODE: process.execPath, CLI, MISSING_U_NUM_THREADS: '1' },
  });
}

describe('a reader that goes away', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-streams-'))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('does not end a training run: stdout and stderr piped into head -1, the checkpoint is complete', () => {
    const config = writeTinyConfig(path.join(tmp, 'tiny.json'));
    const out = path.join(tmp, 'run');
    // Progress at steps 50 and 51: head leaves after the first; the second and "saved" meet a closed pipe.
    const run = bash(
      `"$NODE" "$CLI" train --config ${config} --out ${out} --steps 51 --checkpoint-every 0 2>&1 | head -1`,
    );
    expect(run.stdout).toMatch(/^train 50\/51 /);
    expect(run.status).toBe(0);
    const checkpoint = loadCheckpoint(out);
    checkpoint.model.dispose();
    checkpoint.ema.dispose();
    expect(checkpoint.state.step).toBe(51);
  });

  it('does not end sample --json: stdout closed before the JSON is written', () => {
    const png = path.join(tmp, 'grid.png');
    const run = bash(
      `"$NODE" "$CLI" sample --torchscript ${path.join(FIXTURES, 'tiny_denoiser.pt')} --shape 1,8,8 --n 2 ` +
        `--steps 2 --out ${png} --json | true`,
    );
    expect(run.stderr).not.toContain('EPIPE');
    expect(run.status).toBe(0);
    expect(fs.readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });
});
