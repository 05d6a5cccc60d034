import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'lib', 'cli', 'main.js');

/** A CLI process with its output collected and its end as a promise. */
export interface CliRun {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/** Kills every process group startCli started that is still running (a failed test leaves none behind). */
export function killStarted(): void {
  for (const child of running) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/** Starts the CLI in a process group of its own (with `prefix`, under that command, e.g. strace). */
export function startCli(args: string[], opts: { prefix?: string[]; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const [command, ...rest] = opts.prefix ?? [process.execPath];
  const child = spawn(command, [...rest, ...(opts.prefix ? [process.execPath] : []), CLI, ...args], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  child.on('close', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exit,
  };
}

export async function until(check: () => boolean, what: string, timeoutMs = 60000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A tiny training config (unet-mnist on 64 digits, batch 2) written to `file`. */
export function writeTinyConfig(file: string, train: Record<string, unknown> = {}): string {
  const config = {
    name: 'tiny',
    model: { preset: 'unet-mnist' },
    data: { source: 'mnist-package', limit: 64 },
    diffusion: { objective: 'v' },
    train: { steps: 1000000, batchSize: 2, ...train },
  };
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

/** Runs the CLI to its end: its exit code and output. */
export async function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCli(args, opts);
  const { code } = await run.exit;
  return { code, stdout: run.stdout, stderr: run.stderr };
}

/** A CLI run to its end: spawnSync's exit status and output. */
export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI synchronously to its end (`nodeArgs` go to node before the CLI, e.g. `-r preload.js`). */
export function runCliSync(args: string[], opts: { env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): CliResult {
  const run = spawnSync(process.execPath, [...(opts.nodeArgs ?? []), CLI, ...args], {
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
  });
  if (run.error) throw run.error;
  return { status: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
}

/** Runs the CLI synchronously and parses its stdout as JSON (pass --json); a failing run throws with its stderr. */
export function runCliJson(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): ReturnType<typeof JSON.parse> {
  const run = runCliSync(args, opts);
  if (run.status !== 0) {
    throw new Error(`missing-u ${args.join(' ')} exited ${run.status ?? run.signal}:\n${run.stderr}`);
  }
  return JSON.parse(run.stdout);
}
