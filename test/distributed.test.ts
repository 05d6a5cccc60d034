import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { readSafetensors } from '../lib/io/safetensors';
import { freePort } from '../lib/cli/launch';
import { parseTrainConfig } from '../lib/config/train-config';
import { distributedAvailable, distributedFromEnv, loadMnistPackage, models, train, type Denoiser } from '../lib';
import { CLI, ROOT, runCliSync } from './helpers/cli-run';
import { maxAbsDifference } from './helpers/compare';

const WORKER = path.join(__dirname, 'fixtures', 'dp-worker.js');

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-dp-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Worker {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts `args` as ranks 0..n-1 of a loopback group (the torchrun environment), one thread each. */
async function startRanks(n: number, args: string[], env: Record<string, string> = {}): Promise<Worker[]> {
  const port = await freePort();
  return Array.from({ length: n }, (_, rank) => {
    const child = spawn(process.execPath, args, {
      env: {
        ...process.env,
        RANK: String(rank),
        WORLD_SIZE: String(n),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
        MISSING_U_NUM_THREADS: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker: Worker = {
      child,
      stdout: '',
      stderr: '',
      exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))),
    };
    child.stdout!.on('data', (d: Buffer) => (worker.stdout += d));
    child.stderr!.on('data', (d: Buffer) => (worker.stderr += d));
    return worker;
  });
}

async function until(check: () => boolean, what: string, seconds = 120): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const weightBytes = (models: Denoiser[]) =>
  Buffer.concat(models.flatMap((m) => m.stateDict().map((e) => Buffer.from(e.tensor.toFloat32Array().buffer))));

const asFloats = (bytes: Buffer) => new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);

describe('the torchrun environment', () => {
  it('describes a worker, or nothing for one process, and names what is missing', () => {
    expect(distributedFromEnv({})).toBeUndefined();
    expect(distributedFromEnv({ WORLD_SIZE: '1', RANK: '0' })).toBeUndefined();
    const env = { WORLD_SIZE: '4', RANK: '3', LOCAL_RANK: '1', MASTER_ADDR: 'node0', MASTER_PORT: '29500' };
    expect(distributedFromEnv(env)).toEqual({
      rank: 3,
      worldSize: 4,
      localRank: 1,
      masterAddr: 'node0',
      masterPort: 29500,
      agentStore: false,
      restartCount: 0,
    });
    // Under torchrun its agent serves the store, and a restarted group counts its starts.
    const torchrun = { ...env, TORCHELASTIC_USE_AGENT_STORE: 'True', TORCHELASTIC_RESTART_COUNT: '2' };
    expect(distributedFromEnv(torchrun)).toMatchObject({ agentStore: true, restartCount: 2 });
    expect(distributedFromEnv({ ...env, MISSING_U_DIST_TIMEOUT: '12' })?.timeoutSeconds).toBe(12);
    expect(() => distributedFromEnv({ ...env, MASTER_PORT: undefined })).toThrow(
      'MASTER_PORT is not set, but WORLD_SIZE is',
    );
    expect(() => distributedFromEnv({ ...env, RANK: '4' })).toThrow('RANK=4 is not an integer in [0, 3]');
    expect(() => distributedFromEnv({ ...env, MASTER_ADDR: '' })).toThrow('MASTER_ADDR is not set');
  });

  it('train refuses a --dist-timeout or --nproc that is not a whole number >= 1, with or without the other', () => {
    for (const [flag, value] of [
      ['--dist-timeout', 'abc'],
      ['--dist-timeout', '0'],
      ['--nproc', '1.5'],
    ]) {
      const run = runCliSync(['train', '--config', 'none.json', flag, value]);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`missing-u: ${flag} must be an integer >= 1, got '${value}'`);
    }
  });
});

const describeGloo = distributedAvailable() ? describe : describe.skip;

describeGloo('data-parallel training over Gloo on loopback', () => {
  const mnist = loadMnistPackage();

  it('2 ranks hold identical weights after K steps, equal to one process on the same global batch', async () => {
    const run = { steps: 4, batchSize: 4, seed: 3 };
    const ranks = await startRanks(2, [WORKER], { DP_RUN: JSON.stringify(run), DP_OUT: dir });
    const exits = await Promise.all(ranks.map((r) => r.exit));
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    const [rank0, rank1] = [0, 1].map((r) => fs.readFileSync(path.join(dir, `rank${r}.bin`)));
    // Both ranks applied the same averaged gradients: bit-identical weights and EMA.
    expect(rank0.equals(rank1)).toBe(true);

    const single = await train({
      model: { preset: 'unet-mnist' },
      data: mnist,
      train: {
        steps: run.steps,
        batchSize: run.batchSize * 2,
        seed: run.seed,
        warmupSteps: 2,
        ema: { decay: 0.9, every: 1 },
      },
      diffusion: { objective: 'v' },
    });
    const reference = weightBytes([single.model, single.ema]);
    expect(maxAbsDifference(asFloats(rank0), asFloats(reference))).toBeLessThan(1e-5);
    // ...while training moved them far more than that.
    using initial = models.create({ preset: 'unet-mnist', seed: run.seed });
    expect(maxAbsDifference(asFloats(weightBytes([single.model])), asFloats(weightBytes([initial])))).toBeGreaterThan(
      1e-4,
    );
    const losses = ranks.map((r) => JSON.parse(r.stdout).losses as number[]);
    expect(losses[0]).toEqual(losses[1]);
    losses[0].forEach((loss, i) => expect(loss).toBeCloseTo(single.losses[i], 5));
    single.model.dispose();
    single.ema.dispose();
  });

  it('an abort on one rank stops every rank after the same step', async () => {
    const run = { steps: 50, batchSize: 2, seed: 1, abortAtStep: 2, abortRank: 1 };
    const [rank0, rank1] = await startRanks(2, [WORKER], { DP_RUN: JSON.stringify(run), DP_OUT: dir });
    await Promise.all([rank0.exit, rank1.exit]);
    // Progress reaches JS after the step it reports, so rank 1 aborts a step or so later; both stop together.
    const [a, b] = [rank0, rank1].map(
      (w) => JSON.parse(w.stdout) as { step: number; aborted: boolean; losses: number[] },
    );
    expect(a).toEqual(b);
    expect(a.aborted).toBe(true);
    expect(a.step).toBeGreaterThanOrEqual(2);
    expect(a.step).toBeLessThan(run.steps);
  });

  it('missing-u train --nproc 2: rank 0 alone saves, weights as one process with twice the batch', async () => {
    const config = path.join(dir, 'config.json');
    const base = JSON.parse(fs.readFileSync(path.join(ROOT, 'configs', 'mnist-unet.json'), 'utf8'));
    fs.writeFileSync(config, JSON.stringify({ ...base, train: { ...base.train, batchSize: 3, warmupSteps: 2 } }));
    const out = path.join(dir, 'run');
    const [launcher] = await startRanks(1, [
      CLI,
      'train',
      '--config',
      config,
      '--steps',
      '3',
      '--out',
      out,
      '--nproc',
      '2',
      '--json',
    ]);
    expect((await launcher.exit).code).toBe(0);
    expect(JSON.parse(launcher.stdout)).toMatchObject({ steps: 3, aborted: false, checkpoint: out });
    expect(launcher.stderr).toContain('[rank 0] train 3/3');
    expect(launcher.stderr).not.toContain('[rank 1] train');

    const parsed = parseTrainConfig({ ...base, train: { ...base.train, batchSize: 6, warmupSteps: 2 } });
    // The config's sections as they are: one shape from the file to the trainer.
    const single = await train({
      model: parsed.model,
      data: parsed.data,
      diffusion: parsed.diffusion,
      train: { ...parsed.train, steps: 3 },
    });
    const saved = readSafetensors(path.join(out, 'model.safetensors')).tensors;
    const max = Math.max(
      ...single.model
        .stateDict()
        .map(({ name, tensor }) => maxAbsDifference(tensor.toFloat32Array(), saved[name].data)),
    );
    // Float rounding only: Adam divides by the gradient's own scale, so a rounding difference in a
    // near-zero gradient moves its weight by a small fraction of lr (different batches move them by lr).
    expect(max).toBeLessThan(5e-5);
    single.model.dispose();
    single.ema.dispose();

    // Every rank resumes from that checkpoint; killing one makes the other fail, and the checkpoint survives.
    const state = fs.readFileSync(path.join(out, 'state.json'), 'utf8');
    const args = [CLI, 'train', '--resume', out, '--steps', '100000', '--dist-timeout', '60'];
    const [first, second] = await startRanks(2, args);
    await until(() => /train 50\/100000/.test(first.stderr), 'rank 0 to reach step 50');
    const killedAt = Date.now();
    second.child.kill('SIGKILL');
    const exit = await first.exit;
    expect(exit.code).toBe(1);
    expect(exit.at - killedAt).toBeLessThan(30000);
    // The peer dies in a step's compute (rank 0 then fails averaging its gradients) or between the
    // progress report and the ranks' agreement to go on: either collective names the rank and the step.
    expect(first.stderr).toMatch(
      /missing-u: data-parallel training: rank 0 of 2 failed (averaging the gradients of step|agreeing whether to stop after step) \d+/,
    );
    expect(fs.readFileSync(path.join(out, 'state.json'), 'utf8')).toBe(state);
  });

  it('a hung worker makes the other fail once the timeout passes', async () => {
    const config = path.join(dir, 'config.json');
    const base = JSON.parse(fs.readFileSync(path.join(ROOT, 'configs', 'mnist-unet.json'), 'utf8'));
    fs.writeFileSync(config, JSON.stringify({ ...base, train: { ...base.train, batchSize: 2 } }));
    const args = [CLI, 'train', '--config', config, '--out', path.join(dir, 'run'), '--dist-timeout', '3'];
    const [first, second] = await startRanks(2, args);
    await until(() => /train 50\/1000/.test(first.stderr), 'rank 0 to reach step 50');
    const stoppedAt = Date.now();
    second.child.kill('SIGSTOP');
    try {
      const exit = await first.exit;
      expect(exit.code).toBe(1);
      expect(exit.at - stoppedAt).toBeGreaterThan(2500);
      expect(exit.at - stoppedAt).toBeLessThan(30000);
      expect(first.stderr).toMatch(/rank 0 of 2 failed .*a peer silent for 3 s is an error/);
    } finally {
      second.child.kill('SIGKILL');
      await second.exit;
    }
    expect(fs.existsSync(path.join(dir, 'run'))).toBe(false);
  });

  it('a worker whose peers never come fails the rendezvous with the address it waited on', async () => {
    const config = path.join(dir, 'config.json');
    const base = JSON.parse(fs.readFileSync(path.join(ROOT, 'configs', 'mnist-unet.json'), 'utf8'));
    fs.writeFileSync(config, JSON.stringify({ ...base, train: { ...base.train, batchSize: 2 } }));
    const [alone] = await startRanks(1, [CLI, 'train', '--config', config, '--out', path.join(dir, 'run')], {
      WORLD_SIZE: '2',
      RANK: '1',
      MISSING_U_DIST_TIMEOUT: '2',
    });
    expect((await alone.exit).code).toBe(1);
    expect(alone.stderr).toMatch(
      /^missing-u: data-parallel training: rank 1 of 2 failed joining the group at 127\.0\.0\.1:\d+: /,
    );
    expect(alone.stderr).not.toContain('frame #');
  });
});
