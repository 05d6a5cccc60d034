import { memory, tensor } from '../lib';

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
    // The bytes of live tensors, which dispose alone decides; the process's RSS (which also moves with
    // V8's heap and its collections) only where the caching allocator is off and keeps no count.
    const held = () => memory.stats()?.allocated ?? process.memoryUsage().rss;
    const before = held();
    cycle(10000);
    // Less than one tensor, or a 40th of the 2.5 GiB leak in RSS.
    expect(held() - before).toBeLessThan(memory.stats() ? 256 * 1024 : 64 * 1024 * 1024);
  });
});
