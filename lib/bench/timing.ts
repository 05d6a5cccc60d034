/** Median wall time of `fn` in milliseconds over at least `minRuns` runs and `minMs` of work, after a warm-up. */
export async function medianMs(fn: () => unknown | Promise<unknown>, minRuns = 5, minMs = 300): Promise<number> {
  await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < minMs) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export const round = (x: number, digits = 3): number => Number(x.toPrecision(digits));
