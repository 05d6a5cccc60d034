import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { acquireCheckpointLock } from '../lib/checkpoint/lock';
import { saveTiny } from './helpers/checkpoint';
import { killStarted, runCli, startCli, until, writeTinyConfig } from './helpers/cli-run';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-lock-'))));
afterEach(() => {
  killStarted();
  fs.rmSync(dir, { recursive: true, force: true });
});

const save = (target: string) => saveTiny(target);

// Beyond any pid_max: no process has it.
const DEAD_PID = 2147483646;
const writeLock = (file: string, holder: object) => fs.writeFileSync(file, JSON.stringify(holder));

describe('the lock of a checkpoint folder', () => {
  it('refuses a save while another live process holds it, naming the holder, and touches nothing', () => {
    const run = path.join(dir, 'run');
    const since = '2026-01-01T00:00:00.000Z';
    writeLock(`${run}.lock`, { pid: process.ppid, host: os.hostname(), since });
    expect(() => save(run)).toThrow(
      `${run} is in use by another missing-u run: pid ${process.ppid} on ${os.hostname()} since ${since} holds ` +
        `${run}.lock`,
    );
    expect(fs.readdirSync(dir)).toEqual(['run.lock']);
  });

  it('takes over the lock of a process that is gone, and gives it back after the save', () => {
    const run = path.join(dir, 'run');
    writeLock(`${run}.lock`, { pid: DEAD_PID, host: os.hostname(), since: 'then' });
    save(run);
    expect(fs.readdirSync(dir)).toEqual(['run']);
  });

  it('is held once per process: a save inside a run that holds it keeps it', () => {
    const run = path.join(dir, 'run');
    const lock = acquireCheckpointLock(run);
    const holder = JSON.parse(fs.readFileSync(lock.file, 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, host: os.hostname() });
    save(run);
    expect(fs.existsSync(lock.file)).toBe(true);
    lock.release();
    expect(fs.existsSync(lock.file)).toBe(false);
  });

  it('refuses a lock file that names no missing-u run, naming the file', () => {
    const run = path.join(dir, 'run');
    fs.writeFileSync(`${run}.lock`, 'my notes');
    expect(() => save(run)).toThrow(`${run}.lock exists but does not name a missing-u run`);
    expect(fs.readFileSync(`${run}.lock`, 'utf8')).toBe('my notes');
  });
});

describe('missing-u train', () => {
  it('three writers on one folder: one runs, two are refused with the holder named', async () => {
    const out = path.join(dir, 'run');
    const tiny = writeTinyConfig(path.join(dir, 'c.json'), { checkpointEvery: 2 });
    const runs = [0, 1, 2].map(() => startCli(['train', '--resume', out, '--config', tiny, '--json']));
    const ended: number[] = [];
    runs.forEach((run, i) => void run.exit.then(() => ended.push(i)));
    await until(() => ended.length === 2, 'two of the three to end', 120000);
    const [holder] = runs.filter((_, i) => !ended.includes(i));
    for (const i of ended) {
      expect((await runs[i].exit).code).toBe(1);
      expect(runs[i].stderr).toContain(
        `missing-u: ${out} is in use by another missing-u run: pid ${holder.child.pid} on ${os.hostname()} since `,
      );
    }
    await until(() => fs.existsSync(path.join(out, 'state.json')), "the holder's first checkpoint");
    holder.child.kill('SIGTERM');
    expect((await holder.exit).code).toBe(143);
    expect(JSON.parse(holder.stdout)).toMatchObject({ checkpoint: out, aborted: true });
    expect(fs.readdirSync(dir).sort()).toEqual(['c.json', 'run']);
  });

  it('takes over a stale lock (its pid is gone) and removes it at the end', async () => {
    const out = path.join(dir, 'run');
    writeLock(`${out}.lock`, { pid: DEAD_PID, host: os.hostname(), since: 'then' });
    const tiny = writeTinyConfig(path.join(dir, 'c.json'), { steps: 1 });
    const run = await runCli(['train', '--config', tiny, '--out', out, '--json']);
    expect(run.code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['c.json', 'run']);
  });
});
