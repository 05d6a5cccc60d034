import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadCheckpoint, loadTrainerState, saveCheckpoint, type CheckpointState } from '../lib/checkpoint/checkpoint';
import { parseTrainConfig } from '../lib/config/train-config';
import { writeFileAtomic } from '../lib/io/atomic';
import { disposeTrainerState, models } from '../lib';
import { CLI, writeTinyConfig } from './helpers/cli-run';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-folder-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const config = parseTrainConfig({ model: { preset: 'unet-mnist' }, train: { steps: 1, batchSize: 1 } });
const state: CheckpointState = {
  step: 1,
  imageSize: 28,
  channels: 1,
  seed: 0,
  aborted: false,
  lastLoss: 0.5,
  savedAt: '2026-01-01T00:00:00.000Z',
};

function save(target: string, step = 1): void {
  using model = models.create({ preset: 'unet-mnist', imageSize: 28, channels: 1, seed: step });
  saveCheckpoint(target, { model, ema: model, config, state: { ...state, step } });
}

const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('a checkpoint save', () => {
  it('refuses a folder or file missing-u did not write, and touches nothing', () => {
    const notes = path.join(dir, 'notes');
    fs.mkdirSync(notes);
    fs.writeFileSync(path.join(notes, 'todo.txt'), 'keep me');
    expect(() => save(notes)).toThrow(
      `refusing to save a checkpoint to ${notes}: it is a folder that holds files but no missing-u checkpoint`,
    );
    expect(fs.readdirSync(notes)).toEqual(['todo.txt']);
    const file = path.join(dir, 'file.txt');
    fs.writeFileSync(file, 'keep me too');
    expect(() => save(file)).toThrow(`refusing to save a checkpoint to ${file}: it is not a folder`);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me too');
    expect(fs.readdirSync(dir).sort()).toEqual(['file.txt', 'notes']);
  });

  it('writes into a new path, an empty folder or its own checkpoint, and keeps what a user added there', () => {
    const run = path.join(dir, 'run');
    fs.mkdirSync(run);
    save(run, 1);
    fs.writeFileSync(path.join(run, 'samples.png'), 'a user file');
    save(run, 2);
    expect(fs.readFileSync(path.join(run, 'samples.png'), 'utf8')).toBe('a user file');
    const loaded = loadCheckpoint(run);
    expect(loaded.state.step).toBe(2);
    expect(loaded.state.format).toBe('missing-u/checkpoint-1');
    loaded.model.dispose();
    loaded.ema.dispose();
    expect(fs.readdirSync(dir)).toEqual(['run']);
  });

  it('removes the staging folders a crashed save left, but not those of a live process', () => {
    const run = path.join(dir, 'run');
    const dead = path.join(dir, '.run.saving-2147483646-abc123');
    fs.mkdirSync(dead);
    fs.writeFileSync(path.join(dead, 'model.safetensors'), 'half a file');
    fs.writeFileSync(path.join(dead, '.state.json.1.2.tmp'), '{');
    const live = path.join(dir, `.run.saving-${process.ppid}-def456`);
    fs.mkdirSync(live);
    save(run);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
  });

  it('and every atomic write remove the temp files a crashed write of the same file left', () => {
    const stale = path.join(dir, '.samples.png.2147483646.1.tmp');
    const other = path.join(dir, '.notes.txt.2147483646.1.tmp');
    fs.writeFileSync(stale, 'half a png');
    fs.writeFileSync(other, 'not ours to judge');
    writeFileAtomic(path.join(dir, 'samples.png'), 'a png');
    expect(fs.readdirSync(dir).sort()).toEqual(['.notes.txt.2147483646.1.tmp', 'samples.png']);
  });

  it('finishes removing a recovery copy that a kill left half removed', () => {
    const run = path.join(dir, 'run');
    save(run, 1);
    fs.mkdirSync(`${run}.previous`); // emptied, but the kill came before its rmdir
    save(run, 2);
    fs.mkdirSync(`${run}.previous`);
    fs.copyFileSync(path.join(run, 'model.safetensors'), path.join(`${run}.previous`, 'model.safetensors'));
    save(run, 3);
    expect(fs.readdirSync(dir)).toEqual(['run']);
  });

  it('is found through its recovery copy when a crash left only <dir>.previous', () => {
    const run = path.join(dir, 'run');
    save(run, 3);
    fs.renameSync(run, `${run}.previous`);
    const loaded = loadCheckpoint(run);
    expect(loaded.state.step).toBe(3);
    loaded.model.dispose();
    loaded.ema.dispose();
  });
});

describe('missing-u train', () => {
  it('refuses a config name that is a path, and an --out it did not write, before loading anything', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(
      bad,
      JSON.stringify({ name: '..', model: { preset: 'unet-mnist' }, train: { steps: 1, batchSize: 1 } }),
    );
    const named = cli('train', '--config', bad);
    expect(named.status).toBe(1);
    expect(named.stderr).toContain('field \'name\' is "..": must be a plain file name');
    const notes = path.join(dir, 'notes');
    fs.mkdirSync(notes);
    fs.writeFileSync(path.join(notes, 'todo.txt'), 'keep me');
    const out = cli('train', '--config', writeTinyConfig(path.join(dir, 'c.json'), { steps: 1 }), '--out', notes);
    expect(out.status).toBe(1);
    expect(out.stderr).toBe(
      `missing-u: refusing to save a checkpoint to ${notes}: it is a folder that holds files but no missing-u ` +
        'checkpoint. missing-u writes only into a new path, an empty folder or an earlier missing-u checkpoint; ' +
        'choose another --out (nothing was changed)\n',
    );
    expect(fs.readdirSync(notes)).toEqual(['todo.txt']);
  });

  it('--resume starts a run where none is yet, and continues from the recovery copy after a crash', () => {
    const run = path.join(dir, 'run');
    const config = writeTinyConfig(path.join(dir, 'c.json'), { steps: 2 });
    const first = cli('train', '--resume', run, '--config', config, '--json');
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ steps: 2, aborted: false });
    fs.renameSync(run, `${run}.previous`); // as a crash between the save's two renames leaves it
    const again = cli('train', '--resume', run, '--steps', '4', '--json');
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ steps: 4 });
    expect(fs.readdirSync(dir).sort()).toEqual(['c.json', 'run']);
    const trainer = loadTrainerState(run);
    expect(trainer.step).toBe(4);
    disposeTrainerState(trainer);
  });
});
