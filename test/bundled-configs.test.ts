import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { bundledConfigNames, bundledConfigs, resolveConfigFile } from '../lib/config/bundled-configs';
import { loadTrainConfig } from '../lib/config/train-config';
import { ROOT, runCliJson, runCliSync } from './helpers/cli-run';
import { missingUError } from './helpers/errors';

const CONFIGS = path.join(ROOT, 'configs');

describe('bundled configs by name', () => {
  it('names every .json under configs/, subfolders with a slash', () => {
    const names = bundledConfigNames();
    expect(names).toEqual(expect.arrayContaining(['mnist-cunet', 'mnist-unet', 'celeba64-cunet', 'table1/unet']));
    expect(names).toEqual([...names].sort());
  });

  it('resolves a name, a name with .json and configs/NAME.json to the package’s file', () => {
    const cwd = process.cwd();
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'mu-configs-'));
    process.chdir(elsewhere);
    try {
      for (const arg of ['mnist-cunet', 'mnist-cunet.json', 'configs/mnist-cunet.json']) {
        expect(resolveConfigFile(arg)).toBe(path.join(CONFIGS, 'mnist-cunet.json'));
      }
      expect(resolveConfigFile('table1/cunet-ours')).toBe(path.join(CONFIGS, 'table1', 'cunet-ours.json'));
      // A file of that name wins over the bundled config.
      fs.writeFileSync('mnist-cunet.json', '{}');
      expect(resolveConfigFile('mnist-cunet.json')).toBe('mnist-cunet.json');
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses an unknown name with one MissingUError listing the bundled names', () => {
    const err = missingUError(() => resolveConfigFile('mnist-cunnet'));
    expect(err.message).toBe(
      `config mnist-cunnet is neither a file nor a bundled config: give a JSON file, or one of ` +
        `${bundledConfigNames().join(', ')} (missing-u configs describes them)`,
    );
    // Only names under configs/ resolve: nothing outside it.
    expect(() => resolveConfigFile('../package')).toThrow('is neither a file nor a bundled config');
  });

  it('every bundled config is valid and describes itself in one line', () => {
    for (const { name, file, description } of bundledConfigs()) {
      expect(loadTrainConfig(file).description).toBe(description);
      expect(description.length).toBeGreaterThan(10);
      expect(description).not.toContain('\n');
      expect(name).not.toMatch(/\.json$/);
    }
  });
});

describe('missing-u configs', () => {
  it('lists each bundled config with its description, and --json the same', () => {
    const run = runCliSync(['configs']);
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const configs = bundledConfigs();
    expect(lines).toHaveLength(configs.length);
    configs.forEach((config, i) =>
      expect(lines[i].replace(/ {2,}/, '\t')).toBe(`${config.name}\t${config.description}`),
    );
    expect(runCliJson(['configs', '--json'])).toEqual(configs);
  });

  it('train --config with an unknown name fails before any work, listing the names', () => {
    const run = runCliSync(['train', '--config', 'no-such-config']);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `missing-u: config no-such-config is neither a file nor a bundled config: give a JSON file, or one of ` +
        `${bundledConfigNames().join(', ')} (missing-u configs describes them)\n`,
    );
  });
});
