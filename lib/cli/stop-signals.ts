import { LAUNCHED_ENV } from './launch';
import { writeErr } from './output';

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGPIPE: 13, SIGTERM: 15 } as const;
type StopSignal = keyof typeof SIGNAL_NUMBERS;

/** How a run was asked to stop, for the shell's exit status (128 + the signal's number). */
export interface StopRequests {
  /** The first signal that arrived, if any. */
  readonly received: StopSignal | undefined;
  /** 128 + the signal's number (130 after SIGINT, 143 after SIGTERM), undefined when no signal came. */
  readonly exitCode: number | undefined;
  /** Stops listening (the process's default handling returns). */
  dispose(): void;
}

/**
 * SIGINT, SIGTERM, SIGHUP (a closed terminal or a supervisor) and SIGQUIT stop the run after its current
 * step, so it can save; a second one quits at once. SIGPIPE does only with `sigpipe` (--stop-on-sigpipe):
 * Node ignores it otherwise, and a reader that went away then only loses the run's output. Saves are synchronous, so a signal that arrives during one is handled once it is complete,
 * and quitting never cuts a save short (an interrupted one would leave the previous checkpoint anyway).
 * In a worker that `--nproc` started, the launcher's 'stop' message (it forwards Ctrl-C once to every
 * worker) and its disappearance stop the run too; Ctrl-C itself is the launcher's to handle.
 */
export function listenForStop(controller: AbortController, opts: { sigpipe?: boolean } = {}): StopRequests {
  let received: StopSignal | undefined;
  const listeners: Array<() => void> = [];
  const on = (event: string, listener: (...args: unknown[]) => void) => {
    process.on(event as NodeJS.Signals, listener);
    listeners.push(() => process.removeListener(event as NodeJS.Signals, listener));
  };
  const worker = Boolean(process.env[LAUNCHED_ENV] && process.send);
  const stop = (signal: StopSignal) => {
    // Every later write to a closed pipe raises SIGPIPE again: only another signal quits at once.
    if (received !== undefined && signal === 'SIGPIPE') return;
    if (received !== undefined) process.exit(128 + SIGNAL_NUMBERS[signal]);
    received = signal;
    writeErr(`\nmissing-u: ${signal}: stopping after this step to save a checkpoint (${signal} again quits now)\n`);
    controller.abort();
  };
  if (worker) {
    on('message', (message) => {
      if ((message as { type?: string } | null)?.type === 'stop') controller.abort();
    });
    on('disconnect', () => controller.abort());
    on('SIGINT', () => {});
    process.channel?.unref();
  } else {
    on('SIGINT', () => stop('SIGINT'));
  }
  const stopping: StopSignal[] = ['SIGTERM', 'SIGHUP', 'SIGQUIT', ...(opts.sigpipe ? (['SIGPIPE'] as const) : [])];
  for (const signal of stopping) on(signal, () => stop(signal));
  return {
    get received() {
      return received;
    },
    get exitCode() {
      return received === undefined ? undefined : 128 + SIGNAL_NUMBERS[received];
    },
    dispose: () => listeners.splice(0).forEach((remove) => remove()),
  };
}
