import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import sharp from 'sharp';

import { killStarted, startCli, until } from './helpers/cli-run';

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'missing-u-prepare-cli-'))));
afterAll(() => {
  killStarted();
  fs.rmSync(dir, { recursive: true, force: true });
});

const COUNT = 2000;

/** COUNT small PNGs, each different, and one corrupt file among them. */
async function writeSource(source: string): Promise<void> {
  fs.mkdirSync(source, { recursive: true });
  const raw = Buffer.alloc(12 * 10 * 3);
  for (let i = 0; i < COUNT; i++) {
    for (let p = 0; p < raw.length; p++) raw[p] = (i * 31 + p * 7) & 255;
    await sharp(raw, { raw: { width: 12, height: 10, channels: 3 } })
      .png()
      .toFile(path.join(source, `${String(i).padStart(5, '0')}.png`));
  }
  fs.writeFileSync(path.join(source, '00700x.png'), 'corrupt');
}

interface Summary {
  reused: boolean;
  count: number;
  skipped: number;
  resumedFrom: number;
}

async function prepareCli(source: string, out: string, extra: string[] = []) {
  const run = startCli(['data', 'prepare', source, '--out', out, '--image-size', '8', '--concurrency', '1', ...extra]);
  return { run, ...(await run.exit) };
}

/** Where progress.json says a prepare got to (0 when it recorded nothing yet). */
function recordedPosition(out: string): number {
  const file = path.join(out, 'progress.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { position: number }).position : 0;
}

describe('missing-u data prepare', () => {
  let source: string;
  let expected: Buffer;

  beforeAll(async () => {
    source = path.join(dir, 'images');
    await writeSource(source);
    const whole = await prepareCli(source, path.join(dir, 'whole'), ['--json']);
    expect(whole.code).toBe(0);
    expect(JSON.parse(whole.run.stdout)).toMatchObject({ reused: false, count: COUNT, skipped: 1, resumedFrom: 0 });
    expected = fs.readFileSync(path.join(dir, 'whole', 'images.u8'));
  });

  it('continues after kill -9 from what progress.json recorded, to the bytes of an uninterrupted run', async () => {
    const out = path.join(dir, 'killed');
    // Killed as each further progress line (every 500 images) appears, then once more to the end.
    for (const line of [500, 1000, 1500]) {
      const run = startCli(['data', 'prepare', source, '--out', out, '--image-size', '8', '--concurrency', '1']);
      await until(() => run.stderr.includes(`prepare ${line}/${COUNT + 1}`) || run.child.exitCode !== null, `${line}`);
      process.kill(-(run.child.pid as number), 'SIGKILL');
      await run.exit;
      expect(fs.existsSync(path.join(out, 'manifest.json'))).toBe(false);
    }
    const recorded = recordedPosition(out);
    const last = await prepareCli(source, out, ['--json']);
    expect(last.code).toBe(0);
    const summary = JSON.parse(last.run.stdout) as Summary;
    expect(summary).toMatchObject({ reused: false, count: COUNT, skipped: 1, resumedFrom: recorded });
    expect(fs.readFileSync(path.join(out, 'images.u8')).equals(expected)).toBe(true);
    expect(fs.readdirSync(out).sort()).toEqual(['images.u8', 'manifest.json']);
  });

  it('stops on SIGINT with exit code 130, keeping its progress; a finished one is never rewritten', async () => {
    const out = path.join(dir, 'interrupted');
    const run = startCli(['data', 'prepare', source, '--out', out, '--image-size', '8', '--concurrency', '1']);
    await until(() => run.stderr.includes(`prepare 500/${COUNT + 1}`), 'the first progress line');
    process.kill(run.child.pid as number, 'SIGINT');
    const { code } = await run.exit;
    expect(code).toBe(130);
    expect(run.stderr).toContain('run the same command again to continue');
    const stoppedAt = recordedPosition(out);
    expect(stoppedAt).toBeGreaterThanOrEqual(500);

    const rest = await prepareCli(source, out);
    expect(rest.code).toBe(0);
    expect(rest.run.stdout).toContain(`prepared ${COUNT} images (3x8x8, cover resize) into ${out}`);
    expect(rest.run.stdout).toContain(`continued from image ${stoppedAt}`);
    expect(fs.readFileSync(path.join(out, 'images.u8')).equals(expected)).toBe(true);

    const mtime = fs.statSync(path.join(out, 'images.u8')).mtimeMs;
    const again = await prepareCli(source, out);
    expect(again.code).toBe(0);
    expect(again.run.stdout).toContain(`already prepared: ${out} (${COUNT} images, 3x8x8); nothing was written`);
    expect(fs.statSync(path.join(out, 'images.u8')).mtimeMs).toBe(mtime);
    const other = await prepareCli(source, out, ['--resize', 'squash']);
    expect(other.code).toBe(1);
    expect(other.run.stderr).toContain(`missing-u: ${out} holds a prepared dataset made with other settings`);
  });
});
