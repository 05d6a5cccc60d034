import { writeErr } from './output';

/**
 * A progress line: redrawn in place on a TTY, printed every `every` updates otherwise. `start` is
 * the count already done before this process (a resumed run), left out of the rate. A call may give
 * the total when it is known only once the work reports it (sample's batches).
 */
export function progressPrinter(label: string, total: number, { every = 50, start = 0 } = {}) {
  const started = Date.now();
  const tty = process.stderr.isTTY;
  return (done: number, extra = '', now = total) => {
    total = now;
    const elapsed = (Date.now() - started) / 1000;
    const rate = (done - start) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (total - done) / rate : 0;
    const line = `${label} ${done}/${total} ${extra} ${rate.toFixed(2)} it/s, ETA ${eta.toFixed(0)} s`;
    if (tty) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      writeErr(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${line}`);
      if (done === total) writeErr('\n');
    } else if (done % every === 0 || done === total) {
      writeErr(`${line}\n`);
    }
  };
}
