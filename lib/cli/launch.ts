import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import readline from 'node:readline';

import { distributedAvailable } from '../distributed';
import { MissingUError } from '../errors';
import { writeErr, writeOut } from './output';

/** Set in the workers `--nproc` starts: they take stop requests from the launcher, not from SIGINT. */
export const LAUNCHED_ENV = 'MISSING_U_LAUNCHED';

/** A TCP port free on the loopback interface right now (for the rendezvous). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The command line without `--nproc N` / `--nproc=N`. */
export function withoutNproc(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--nproc') i++;
    else if (!args[i].startsWith('--nproc=')) out.push(args[i]);
  }
  return out;
}

function forward(stream: NodeJS.ReadableStream, write: (text: string) => void, prefix: string): void {
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => write(`${prefix}${line}\n`));
}

/**
 * Runs `nproc` local workers of this same CLI (argv: its arguments after the script) with the
 * torchrun environment on loopback, their output forwarded with a rank prefix (rank 0's stdout as is,
 * so --json stays parseable). Resolves when all succeed; when one fails, the others are killed and
 * this rejects naming the rank. Ctrl-C asks every worker to stop after its current step (rank 0 then
 * saves); a second Ctrl-C kills them.
 */
export async function launchWorkers(nproc: number, argv: string[]): Promise<void> {
  if (!Number.isInteger(nproc) || nproc < 1) throw new MissingUError(`--nproc must be an integer >= 1, got ${nproc}`);
  if (!distributedAvailable()) {
    throw new MissingUError(
      '--nproc: this build has no distributed support (compiled without the Gloo headers); rebuild it where ' +
        'scripts/gloo.js can fetch them (npm rebuild missing-u), or set GLOO_INCLUDE_DIR',
    );
  }
  const port = await freePort();
  const threads =
    process.env.MISSING_U_NUM_THREADS ?? String(Math.max(1, Math.floor(os.availableParallelism() / nproc)));
  const children: ChildProcess[] = [];
  const exits: Array<Promise<{ rank: number; code: number | null; signal: NodeJS.Signals | null }>> = [];
  for (let rank = 0; rank < nproc; rank++) {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...withoutNproc(argv)], {
      env: {
        ...process.env,
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: String(nproc),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
        MISSING_U_NUM_THREADS: threads,
        [LAUNCHED_ENV]: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    forward(child.stdout!, writeOut, rank === 0 ? '' : `[rank ${rank}] `);
    forward(child.stderr!, writeErr, `[rank ${rank}] `);
    children.push(child);
    exits.push(
      new Promise((resolve) => {
        child.once('error', () => resolve({ rank, code: 1, signal: null }));
        child.once('exit', (code, signal) => resolve({ rank, code, signal }));
      }),
    );
  }
  let interrupts = 0;
  const interrupt = () => {
    interrupts++;
    if (interrupts === 1) {
      writeErr('\nmissing-u: asking the workers to stop after this step (Ctrl-C again kills them)\n');
      for (const child of children) if (child.connected) child.send({ type: 'stop' });
    } else {
      for (const child of children) child.kill('SIGKILL');
    }
  };
  process.on('SIGINT', interrupt);
  try {
    const pending = new Set(exits.map((_, i) => i));
    let failure: { rank: number; code: number | null; signal: NodeJS.Signals | null } | undefined;
    while (pending.size > 0) {
      const done = await Promise.race([...pending].map((i) => exits[i]));
      pending.delete(done.rank);
      if ((done.code !== 0 || done.signal) && !failure) {
        failure = done;
        for (const i of pending) children[i].kill('SIGKILL');
      }
    }
    if (failure) {
      const how = failure.signal ? `was killed by ${failure.signal}` : `exited with code ${failure.code}`;
      throw new MissingUError(
        `--nproc ${nproc}: worker rank ${failure.rank} ${how}` +
          (nproc > 1 ? '; the other workers were stopped (see the [rank N] lines above)' : ''),
      );
    }
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
}
