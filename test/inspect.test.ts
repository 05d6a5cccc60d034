import path from 'node:path';

import { models } from '../lib';
import { ROOT, runCliJson, runCliSync } from './helpers/cli-run';

const UNET_CHECKPOINT = path.join(ROOT, 'docs', 'reproduction', 'checkpoints', 'unet');

describe('inspect --config and --checkpoint', () => {
  it('counts what a bundled config builds, with its width, ODE options and the options it sets', () => {
    const row = runCliJson(['inspect', '--config', 'mnist-cunet', '--json']);
    const section = { preset: 'cunet-mnist' as const, width: 16, ode: { method: 'euler' as const, steps: 1 } };
    using model = models.create({ ...section, seed: 0 });
    using preset = models.create({ preset: 'cunet-mnist', seed: 0 });
    expect(row).toMatchObject({
      source: 'mnist-cunet',
      preset: 'cunet-mnist',
      imageSize: 28,
      channels: 1,
      width: 16,
      ode: 'euler, 1 step',
      parameters: model.parameterCount().total,
      options: 'width=16 ode.method=euler ode.steps=1',
    });
    expect(row.parameters).not.toBe(preset.parameterCount().total);
    expect(row.gflops).toBeGreaterThan(0);
  });

  it('counts what a checkpoint holds, at its own image size or at --image-size', () => {
    expect(runCliJson(['inspect', '--checkpoint', UNET_CHECKPOINT, '--json'])).toMatchObject({
      source: UNET_CHECKPOINT,
      preset: 'unet-mnist',
      imageSize: 28,
      width: 24,
      ode: '-',
      parameters: 1_512_193,
      options: 'width=24',
    });
    expect(runCliJson(['inspect', '--checkpoint', UNET_CHECKPOINT, '--image-size', '32', '--json'])).toMatchObject({
      imageSize: 32,
      parameters: 1_512_193,
    });
  });

  it('prints one table for several, with a progress line per row on stderr and JSON alone on stdout', () => {
    const args = ['inspect', '--config', 'table1/cunet-text', '--checkpoint', UNET_CHECKPOINT];
    const table = runCliSync(args);
    expect(table.status).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^source\s+preset\s+imageSize\s+channels\s+width\s+ode\s+parameters\s.*\soptions$/);
    expect(lines[2]).toMatch(
      /^table1\/cunet-text\s+cunet-mnist\s+28\s+1\s+-\s+preset’s\s.*norm=group activation=relu$/,
    );
    expect(lines[3]).toMatch(new RegExp(`^${UNET_CHECKPOINT}\\s+unet-mnist\\s+28\\s+1\\s+24\\s+-\\s`));
    const json = runCliSync([...args, '--json']);
    expect(JSON.parse(json.stdout).map((row: { source: string }) => row.source)).toEqual([
      'table1/cunet-text',
      UNET_CHECKPOINT,
    ]);
    const progress = json.stderr.split('\n').filter((line) => line.startsWith('inspect '));
    expect(progress.map((line) => line.split(' ').slice(0, 3).join(' '))).toEqual([
      'inspect 1/2 table1/cunet-text',
      `inspect 2/2 ${UNET_CHECKPOINT}`,
    ]);
  });

  it('refuses --preset with --config, and an unknown config name', () => {
    const both = runCliSync(['inspect', '--preset', 'unet-mnist', '--config', 'mnist-cunet']);
    expect(both.status).toBe(1);
    expect(both.stderr).toBe('missing-u: inspect takes --preset, or --config and --checkpoint, not both\n');
    const unknown = runCliSync(['inspect', '--config', 'mnist-cnet']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('missing-u: config mnist-cnet is neither a file nor a bundled config');
  });
});
