/** A task's outcome, kept in order: its value, or the error it rejected with. */
export type Settled<I, T> = { item: I; value: T; error?: undefined } | { item: I; value?: undefined; error: unknown };

/**
 * Runs `run` over `items` with at most `concurrency` runs in flight and yields the outcomes in the
 * items' order. Only a window of `concurrency` items is held at a time, so memory stays bounded
 * however many items there are. Items are taken from the iterator only as the window frees up.
 */
export async function* inOrder<I, T>(
  items: Iterable<I>,
  concurrency: number,
  run: (item: I) => Promise<T>,
): AsyncGenerator<Settled<I, T>> {
  const iterator = items[Symbol.iterator]();
  const window: Array<Promise<Settled<I, T>>> = [];
  const start = (): boolean => {
    const next = iterator.next();
    if (next.done) return false;
    const item = next.value;
    window.push(
      run(item).then(
        (value) => ({ item, value }),
        (error: unknown) => ({ item, error }),
      ),
    );
    return true;
  };
  try {
    while (window.length < concurrency && start());
    while (window.length > 0) {
      const head = await window.shift()!;
      start();
      yield head;
    }
  } finally {
    // Stopped early (an abort or an error): let the runs still in flight finish before returning.
    await Promise.all(window);
    iterator.return?.();
  }
}
