import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
/** libtorch from this checkout, so an install downloads nothing but npm packages. */
export const LIBTORCH = fs.realpathSync(path.join(ROOT, 'libtorch'));
/** An install that must not compile anything: the prebuild has to fit. */
export const NO_COMPILER = { CC: '/bin/false', CXX: '/bin/false' };

export interface PackedFile {
  path: string;
  size: number;
}

/**
 * The package as a user gets it: dist/ compiled from the committed lib/ (prepare is skipped: it would
 * compile again), packed into `work`, and the tarball installed with `packages` into a fresh project,
 * `work/app`, with no compiler. npm packages come from the npm cache when it holds them.
 */
export function installPacked(work: string, packages: string[] = []): { project: string; files: PackedFile[] } {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const [packed] = JSON.parse(out) as Array<{ filename: string; files: PackedFile[] }>;
  const project = path.join(work, 'app');
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
  );
  const result = spawnSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(work, packed.filename), ...packages],
    { cwd: project, env: { ...process.env, ...NO_COMPILER, LIBTORCH }, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`npm install failed:\n${result.stdout}\n${result.stderr}`);
  return { project, files: packed.files };
}
