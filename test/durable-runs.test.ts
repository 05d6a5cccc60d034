import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadCheckpoint, loadTrainerState } from '../lib/checkpoint/checkpoint';
import { findCheckpoint } from '../lib/checkpoint/folder';
import type { StoredTensor } from '../lib/io/safetensors';
import {
  disposeTrainerState,
  loadMnistPackage,
  models,
  tensor,
  train,
  type TrainConfig,
  type TrainSnapshot,
} from '../lib';
import { seededRandom } from './helpers/random';
import { killStarted, runCliSync, sleep, startCli, until, writeTinyConfig } from './helpers/cli-run';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-durable-'))));
afterEach(() => {
  killStarted();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The step the checkpoint in `out` (or its recovery copy) holds, after checking it loads and can resume. */
function checkpointStep(out: string): number | undefined {
  if (!findCheckpoint(out)) return undefined;
  const loaded = loadCheckpoint(out);
  const trainer = loadTrainerState(out);
  expect(trainer.step).toBe(loaded.state.step);
  loaded.model.dispose();
  loaded.ema.dispose();
  disposeTrainerState(trainer);
  return loaded.state.step;
}

const stagingFolders = (parent: string) => fs.readdirSync(parent).filter((name) => name.includes('.saving-'));

describe('periodic checkpoints', () => {
  it('hand over snapshots that resume exactly where the run was', async () => {
    const mnist = loadMnistPackage(64);
    const config = (steps: number): TrainConfig => ({
      model: { preset: 'unet-mnist' },
      data: mnist,
      train: { steps, batchSize: 2, seed: 3, ema: { decay: 0.9, every: 2 }, checkpointEvery: 3 },
    });
    const steps: number[] = [];
    let kept: TrainSnapshot | undefined;
    const whole = await train(config(8), {
      onCheckpoint: (snapshot) => {
        steps.push(snapshot.state.step);
        if (snapshot.state.step === 3) kept = snapshot;
      },
    });
    expect(steps).toEqual([3, 6]);
    if (!kept) throw new Error('no snapshot at step 3');
    using model = models.create({ preset: 'unet-mnist', imageSize: 28, channels: 1 });
    using ema = models.create({ preset: 'unet-mnist', imageSize: 28, channels: 1 });
    const tensors = (stored: Record<string, StoredTensor>) =>
      Object.fromEntries(Object.entries(stored).map(([name, t]) => [name, tensor(t.data, t.shape)]));
    const [modelWeights, emaWeights] = [tensors(kept.model), tensors(kept.ema)];
    model.loadStateDict(modelWeights);
    ema.loadStateDict(emaWeights);
    const state = { ...kept.state, expAvg: tensors(kept.state.expAvg), expAvgSq: tensors(kept.state.expAvgSq) };
    const rest = await train(config(8), { resume: { model, ema, state } });
    expect(Array.from(rest.losses)).toEqual(Array.from(whole.losses.slice(3)));
    [modelWeights, emaWeights].forEach((w) => Object.values(w).forEach((t) => t.dispose()));
    disposeTrainerState(state);
    for (const r of [whole, rest]) {
      r.model.dispose();
      r.ema.dispose();
      disposeTrainerState(r.state);
    }
  });

  it('survive kill -9 at 50 random moments: every time the folder loads and the run resumes', async () => {
    const out = path.join(dir, 'run');
    const config = writeTinyConfig(path.join(dir, 'tiny.json'), { checkpointEvery: 2 });
    const next = seededRandom(13);
    let last = 0;
    let saved = 0;
    const stateStep = () => {
      try {
        return (JSON.parse(fs.readFileSync(path.join(out, 'state.json'), 'utf8')) as { step: number }).step;
      } catch {
        return 0; // not there yet, or between a save's renames
      }
    };
    for (let kill = 0; kill < 50; kill++) {
      // Staging folders an earlier kill left behind are not this run's save (the next save removes them).
      const stale = new Set(stagingFolders(dir));
      const run = startCli(['train', '--resume', out, '--config', config]);
      let ended = false;
      void run.exit.then(() => (ended = true));
      if (kill % 2 === 0) {
        // Any moment from the start: loading, resuming, the first steps.
        await sleep(next() * 1500);
      } else {
        // A moment in the save cycle, once this run has saved or is saving (however busy the machine is).
        const saving = () => stagingFolders(dir).some((name) => !stale.has(name));
        await until(() => ended || stateStep() > last || saving(), 'a save', 120000);
        await sleep(next() * 300);
      }
      if (ended) throw new Error(`train --resume ended before the kill: ${run.stderr}`);
      run.child.kill('SIGKILL');
      await run.exit;
      const step = checkpointStep(out);
      if (step !== undefined) {
        expect(step).toBeGreaterThanOrEqual(last); // a save never goes back to an older checkpoint
        if (step > last) saved++;
        last = step;
      }
    }
    expect(saved).toBeGreaterThan(10); // at least as many distinct checkpoints as the runs waited for a save, mostly
    const finish = runCliSync(['train', '--resume', out, '--steps', String(last + 2), '--json']);
    expect(finish.status).toBe(0);
    expect(finish.stderr).toContain(`missing-u: resuming ${out}`);
    expect(JSON.parse(finish.stdout)).toMatchObject({ steps: last + 2, aborted: false });
    expect(stagingFolders(dir)).toEqual([]);
  });
});

describe('signals', () => {
  it.each([
    ['SIGTERM', 143, []],
    ['SIGHUP', 129, []],
    ['SIGQUIT', 131, []],
    ['SIGPIPE', 141, ['--stop-on-sigpipe']],
  ] as const)('%s stops after the current step, saves and exits %i', async (signal, code, flags) => {
    const out = path.join(dir, 'run');
    const config = writeTinyConfig(path.join(dir, 'c.json'), { checkpointEvery: 2 });
    const run = startCli(['train', '--config', config, '--out', out, '--json', ...flags]);
    await until(() => fs.existsSync(path.join(out, 'state.json')), 'the first periodic checkpoint');
    run.child.kill(signal);
    expect((await run.exit).code).toBe(code);
    expect(run.stderr).toContain(`missing-u: ${signal}: stopping after this step to save a checkpoint`);
    const saved = JSON.parse(run.stdout);
    expect(saved).toMatchObject({ aborted: true });
    expect(checkpointStep(out)).toBe(saved.steps);
  });

  it('a signal during a save waits for it to complete, then the run stops and saves', async () => {
    // strace slows every rename by 0.3 s, so a save (a dozen renames) lasts long enough to be hit.
    const strace = ['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'trace=rename,renameat,renameat2'];
    const slow = [...strace, '-e', 'inject=rename,renameat,renameat2:delay_enter=300000'];
    const out = path.join(dir, 'run');
    const config = writeTinyConfig(path.join(dir, 'c.json'), { checkpointEvery: 4 });
    const nodePid = (run: ReturnType<typeof startCli>) => {
      const child = spawnSync('pgrep', ['-P', String(run.child.pid)], { encoding: 'utf8' }).stdout.trim();
      return Number(child.split('\n')[0]);
    };

    const once = startCli(['train', '--config', config, '--out', out, '--json'], { prefix: slow });
    await until(() => stagingFolders(dir).length > 0, 'a periodic save to begin');
    process.kill(nodePid(once), 'SIGINT');
    const exit = await once.exit;
    expect(exit.code).toBe(130);
    const result = JSON.parse(once.stdout);
    expect(result).toMatchObject({ aborted: true });
    expect(checkpointStep(out)).toBe(result.steps);
    expect(stagingFolders(dir)).toEqual([]);
  });

  it('a second signal quits at once, without the final save, leaving the last checkpoint', async () => {
    // cunet-mnist at batch 64: a step lasts long enough for the second signal to land inside it.
    const out = path.join(dir, 'run');
    const config = path.join(dir, 'c.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        name: 'slow',
        model: { preset: 'cunet-mnist' },
        data: { source: 'mnist-package', limit: 64 },
        train: { steps: 1000000, batchSize: 64, checkpointEvery: 1 },
      }),
    );
    const run = startCli(['train', '--config', config, '--out', out, '--json']);
    await until(() => fs.existsSync(path.join(out, 'state.json')), 'the first periodic checkpoint', 120000);
    run.child.kill('SIGINT');
    await until(() => run.stderr.includes('SIGINT: stopping after this step'), 'the first signal to be taken');
    run.child.kill('SIGINT');
    expect((await run.exit).code).toBe(130);
    expect(run.stdout).toBe(''); // it quit without the final save
    expect(checkpointStep(out)).toBeGreaterThanOrEqual(1);
    expect(stagingFolders(dir).length).toBeLessThanOrEqual(1); // at most the save it cut short; the next removes it
  });
});

const root = process.getuid?.() === 0;
(root ? describe : describe.skip)('a full disk (a 16 MB tmpfs; needs root to mount it)', () => {
  let disk: string;
  beforeEach(() => {
    disk = path.join(dir, 'disk');
    fs.mkdirSync(disk);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', disk], { encoding: 'utf8' });
    if (mount.status !== 0) throw new Error(`mount failed: ${mount.stderr}`);
  });
  afterEach(() => spawnSync('umount', [disk]));

  it('keeps the last checkpoint, names the path, and leaves no litter to keep the disk full', () => {
    // One checkpoint of unet-mnist (11.5 MB) fits; a second one beside it does not.
    const out = path.join(disk, 'run');
    const config = writeTinyConfig(path.join(dir, 'c.json'), { steps: 6, checkpointEvery: 3 });
    const run = runCliSync(['train', '--config', config, '--out', out]);
    expect(run.status).toBe(1);
    expect(run.stderr).not.toContain('was not saved'); // the periodic save of step 3 fitted
    expect(run.stderr).toMatch(new RegExp(`missing-u: .*${disk}/\\.run\\.saving-.*\\(ENOSPC\\)`));
    expect(fs.readdirSync(disk)).toEqual(['run']);
    expect(checkpointStep(out)).toBe(3);
  });
});
