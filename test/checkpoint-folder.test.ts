import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadCheckpoint, loadTrainerState } from '../lib/checkpoint/checkpoint';
import { findCheckpoint, PREVIOUS_MARKER } from '../lib/checkpoint/folder';
import { writeFileAtomic } from '../lib/io/atomic';
import { disposeTrainerState } from '../lib';
import { saveTiny } from './helpers/checkpoint';
import { runCliSync, writeTinyConfig } from './helpers/cli-run';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-folder-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const save = (target: string, step = 1, overwrite = false) => saveTiny(target, step, { overwrite });

/** What a crash between a save's two renames leaves: the old checkpoint aside as a marked recovery copy. */
function crashMidSave(run: string): void {
  fs.writeFileSync(path.join(run, PREVIOUS_MARKER), '');
  fs.renameSync(run, `${run}.previous`);
}

const stepOf = (run: string) => JSON.parse(fs.readFileSync(path.join(run, 'state.json'), 'utf8')).step;

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
    fs.writeFileSync(path.join(`${run}.previous`, PREVIOUS_MARKER), ''); // the marker goes last
    fs.copyFileSync(path.join(run, 'model.safetensors'), path.join(`${run}.previous`, 'model.safetensors'));
    save(run, 3);
    expect(fs.readdirSync(dir)).toEqual(['run']);
  });

  it('never uses or removes a <dir>.previous it did not mark: a user folder, or a copy made by hand', () => {
    const mine = path.join(dir, 'x.previous');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'config.json'), '{"mine":1}');
    const x = path.join(dir, 'x');
    expect(() => save(x)).toThrow(
      `refusing to save a checkpoint to ${x}: ${mine} exists and is not a recovery copy missing-u made (it has ` +
        `no ${PREVIOUS_MARKER} file)`,
    );
    expect(fs.readdirSync(mine)).toEqual(['config.json']);
    const run = path.join(dir, 'run');
    save(run, 1);
    fs.cpSync(run, `${run}.previous`, { recursive: true }); // a backup: a complete checkpoint, unmarked
    expect(() => save(run, 2)).toThrow(`${run}.previous exists and is not a recovery copy missing-u made`);
    expect(stepOf(`${run}.previous`)).toBe(1);
    expect(fs.readdirSync(dir).sort()).toEqual(['run', 'run.previous', 'x.previous']);
  });

  it('is found through its recovery copy when a crash left only <dir>.previous, or an empty <dir> beside it', () => {
    const run = path.join(dir, 'run');
    save(run, 3);
    crashMidSave(run);
    const loaded = loadCheckpoint(run);
    expect(loaded.state.step).toBe(3);
    loaded.model.dispose();
    loaded.ema.dispose();
    fs.mkdirSync(run); // a supervisor's mkdir -p
    expect(findCheckpoint(run)).toBe(`${run}.previous`);
  });

  it('never replaces a later checkpoint, in <dir> or its recovery copy, unless told to overwrite', () => {
    const run = path.join(dir, 'run');
    save(run, 5);
    expect(() => save(run, 3)).toThrow(
      `refusing to save step 3 to ${run}: ${run} holds a later checkpoint (step 5) that this save would replace`,
    );
    crashMidSave(run);
    fs.mkdirSync(run);
    expect(() => save(run, 1)).toThrow(`${run}.previous holds a later checkpoint (step 5)`);
    expect(stepOf(`${run}.previous`)).toBe(5);
    save(run, 6); // continues it: the recovery copy goes back in place first, then is replaced
    expect(fs.readdirSync(dir)).toEqual(['run']);
    save(run, 1, true);
    expect(stepOf(run)).toBe(1);
  });

  it('is read again when a save replaces it during the read: never the files of two saves', () => {
    const run = path.join(dir, 'run');
    save(run, 1);
    const realOpen = fs.openSync;
    let saved = false;
    const opens = jest.spyOn(fs, 'openSync').mockImplementation((...args: Parameters<typeof fs.openSync>) => {
      if (!saved && args[0] === path.join(run, 'ema.safetensors')) {
        saved = true; // model.safetensors of step 1 is read; now a run saves step 2
        save(run, 2);
      }
      return realOpen(...args);
    });
    try {
      const loaded = loadCheckpoint(run);
      expect(saved).toBe(true);
      expect(loaded.state.step).toBe(2);
      const weights = (m: typeof loaded.model) =>
        m.stateDict().map(({ tensor }) => Array.from(tensor.toFloat32Array()));
      expect(weights(loaded.model)).toEqual(weights(loaded.ema)); // both of step 2 (a save writes one model twice)
      loaded.model.dispose();
      loaded.ema.dispose();
    } finally {
      opens.mockRestore();
    }
  });

  it('follows a link to a checkpoint folder: loads through it and saves into its target', () => {
    const run = path.join(dir, 'ck1');
    save(run, 1);
    const latest = path.join(dir, 'latest');
    fs.symlinkSync('ck1', latest);
    const loaded = loadCheckpoint(latest);
    expect(loaded.state.step).toBe(1);
    loaded.model.dispose();
    loaded.ema.dispose();
    save(latest, 2);
    expect(fs.readlinkSync(latest)).toBe('ck1');
    expect(stepOf(run)).toBe(2);
    expect(fs.readdirSync(dir).sort()).toEqual(['ck1', 'latest']);
  });
});

describe('missing-u train', () => {
  it('refuses a config name that is a path, and an --out it did not write, before loading anything', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(
      bad,
      JSON.stringify({ name: '..', model: { preset: 'unet-mnist' }, train: { steps: 1, batchSize: 1 } }),
    );
    const named = runCliSync(['train', '--config', bad]);
    expect(named.status).toBe(1);
    expect(named.stderr).toContain('field \'name\' is "..": must be a plain file name');
    const notes = path.join(dir, 'notes');
    fs.mkdirSync(notes);
    fs.writeFileSync(path.join(notes, 'todo.txt'), 'keep me');
    const out = runCliSync([
      'train',
      '--config',
      writeTinyConfig(path.join(dir, 'c.json'), { steps: 1 }),
      '--out',
      notes,
    ]);
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
    const first = runCliSync(['train', '--resume', run, '--config', config, '--json']);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ steps: 2, aborted: false });
    crashMidSave(run);
    fs.mkdirSync(run); // and an empty folder in its place must not hide it
    const again = runCliSync(['train', '--resume', run, '--config', config, '--steps', '4', '--json']);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain(`missing-u: resuming ${run}.previous from step 2`);
    expect(JSON.parse(again.stdout)).toMatchObject({ steps: 4 });
    expect(fs.readdirSync(dir).sort()).toEqual(['c.json', 'run']);
    const trainer = loadTrainerState(run);
    expect(trainer.step).toBe(4);
    disposeTrainerState(trainer);
  });

  it('a new run over a checkpoint needs --overwrite; --resume through a link continues the target', () => {
    const run = path.join(dir, 'run');
    const config = writeTinyConfig(path.join(dir, 'c.json'), { steps: 1 });
    expect(runCliSync(['train', '--config', config, '--out', run]).status).toBe(0);
    const refused = runCliSync(['train', '--config', config, '--out', run]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(
      `missing-u: ${run} already holds a checkpoint (step 1): --resume continues it; --overwrite starts this run ` +
        'there instead and replaces it at its first save; or choose another --out (nothing was changed)\n',
    );
    expect(runCliSync(['train', '--config', config, '--out', run, '--overwrite']).status).toBe(0);
    fs.symlinkSync('run', path.join(dir, 'latest'));
    const linked = runCliSync(['train', '--resume', path.join(dir, 'latest'), '--steps', '2', '--json']);
    expect(linked.status).toBe(0);
    expect(JSON.parse(linked.stdout)).toMatchObject({ checkpoint: run, steps: 2 });
    expect(fs.readdirSync(dir).sort()).toEqual(['c.json', 'latest', 'run']);
  });

  it('--resume refuses a config that changes the objective, schedule or T unless --override', () => {
    const run = path.join(dir, 'run');
    const config = writeTinyConfig(path.join(dir, 'c.json'), { steps: 1 });
    expect(runCliSync(['train', '--config', config, '--out', run]).status).toBe(0);
    const tiny = JSON.parse(fs.readFileSync(config, 'utf8'));
    const eps = path.join(dir, 'eps.json');
    fs.writeFileSync(eps, JSON.stringify({ ...tiny, diffusion: { objective: 'eps' } }));
    const refused = runCliSync(['train', '--resume', run, '--config', eps, '--steps', '2']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      `--resume: the config sets diffusion.objective to "eps" but ${run} was trained with "v"`,
    );
    const steps = path.join(dir, 't.json');
    fs.writeFileSync(steps, JSON.stringify({ ...tiny, diffusion: { objective: 'v', diffusionSteps: 500 } }));
    expect(runCliSync(['train', '--resume', run, '--config', steps, '--steps', '2']).stderr).toContain(
      'the config sets diffusion.diffusionSteps to 500',
    );
    const overridden = runCliSync(['train', '--resume', run, '--config', eps, '--steps', '2', '--override', '--json']);
    expect(overridden.status).toBe(0);
    expect(JSON.parse(overridden.stdout)).toMatchObject({ steps: 2 });
  });
});
