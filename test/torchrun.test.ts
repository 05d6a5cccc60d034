import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadTrainerState } from '../lib/checkpoint/checkpoint';
import { findCheckpoint } from '../lib/checkpoint/folder';
import { disposeTrainerState } from '../lib';
import { CLI, until, writeTinyConfig } from './helpers/cli-run';

/** torchrun from $TORCHRUN or PATH (.ci/run installs torch 2.13 from local wheels and sets TORCHRUN). */
function findTorchrun(): string | undefined {
  if (process.env.TORCHRUN) return process.env.TORCHRUN;
  const found = spawnSync('sh', ['-c', 'command -v torchrun'], { encoding: 'utf8' }).stdout.trim();
  return found || undefined;
}

const torchrun = findTorchrun();
if (!torchrun && process.env.MISSING_U_REQUIRE_TORCHRUN) {
  throw new Error('MISSING_U_REQUIRE_TORCHRUN is set but no torchrun was found (set TORCHRUN)');
}

function workerPids(parent: number): Array<{ pid: number; rank: string }> {
  const out: Array<{ pid: number; rank: string }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const rank = env.find((v) => v.startsWith('RANK='))?.slice(5);
      if (rank !== undefined) out.push({ pid: Number(entry), rank });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

const stepOf = (out: string) => {
  if (!findCheckpoint(out)) return 0;
  try {
    const state = loadTrainerState(out);
    disposeTrainerState(state);
    return state.step;
  } catch {
    return 0; // between a save's renames: look again
  }
};

(torchrun ? describe : describe.skip)('torchrun --max-restarts 1', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-torchrun-'))));
  let group: number | undefined;
  afterEach(() => {
    if (group !== undefined) {
      try {
        process.kill(-group, 'SIGKILL'); // torchrun and its workers, should the test fail midway
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('restarts the group after a worker is killed, and it continues from the last periodic checkpoint', async () => {
    const out = path.join(dir, 'run');
    const config = writeTinyConfig(path.join(dir, 'tiny.json'), { steps: 300, checkpointEvery: 20 });
    const port = 29000 + (process.pid % 1000);
    const args = [
      '--nnodes=1',
      '--nproc-per-node=2',
      '--max-restarts=1',
      '--monitor-interval=0.2',
      '--rdzv-backend=c10d',
      `--rdzv-endpoint=127.0.0.1:${port}`,
      '--no-python',
      process.execPath,
      CLI,
      'train',
      '--resume',
      out,
      '--config',
      config,
      '--dist-timeout',
      '30',
    ];
    const child = spawn(torchrun as string, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    group = child.pid;
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    await until(() => stepOf(out) >= 20, 'the first periodic checkpoint', 120000);
    const killedAfter = stepOf(out);
    // torchrun's agent is torchrun's own process: the workers are its children.
    await until(() => workerPids(child.pid as number).length === 2, 'both workers', 30000);
    const victim = workerPids(child.pid as number).find((w) => w.rank === '1');
    if (!victim) throw new Error('no rank 1 worker');
    process.kill(victim.pid, 'SIGKILL');

    expect(await exit).toBe(0);
    const resumed = [...output.matchAll(/missing-u: resuming .* from step (\d+)/g)].map((m) => Number(m[1]));
    expect(resumed.length).toBeGreaterThanOrEqual(1); // the restarted rank 0 continued a checkpoint ...
    expect(Math.max(...resumed)).toBeGreaterThanOrEqual(killedAfter); // ... the last periodic one
    expect(Math.max(...resumed) % 20).toBe(0);
    expect(stepOf(out)).toBe(300);
  }, 300000);
});
