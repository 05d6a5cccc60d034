import { tensor } from '../lib';

// 10,000 create/dispose cycles of a 256 KiB tensor would leak 2.5 GiB if dispose freed nothing.
describe('native memory', () => {
  it('stays flat over 10,000 tensor create/dispose cycles', () => {
    const data = new Float32Array(64 * 1024).fill(1);
    const cycle = (n: number) => {
      for (let i = 0; i < n; i++) {
        const t = tensor(data, [64, 1024]);
        t.dispose();
      }
    };
    cycle(1000); // warm up allocator pools and JIT
    const before = process.memoryUsage().rss;
    cycle(10000);
    const grown = process.memoryUsage().rss - before;
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });
});
