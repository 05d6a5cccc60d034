import { fidReport } from '../lib/eval/fid-report';
import { pairReport } from '../lib/eval/pair-report';

describe('eval reports are built in lib/eval, not in the CLI', () => {
  it('pairReport: mean over finite values, per-image JSON and chart rows', () => {
    const report = pairReport('psnr', [30, Infinity, 20], { a: 'x.safetensors', b: 'y.safetensors', dataRange: 2 });
    expect(report.name).toBe('psnr');
    expect(report.json).toMatchObject({ metric: 'psnr', images: 3, mean: 25, min: 20, max: Infinity, dataRange: 2 });
    expect((report.json as { perImage: Array<number | null> }).perImage).toEqual([30, null, 20]);
    expect(report.markdown).toContain('# PSNR\n\nx.safetensors against y.safetensors (infinite PSNR');
    expect(report.charts.images.rows).toHaveLength(3);
  });

  it('fidReport: labelled with the extractor and both image counts', () => {
    const report = fidReport(
      { fid: 1.5, extractor: 'mnist-classifier', realCount: 100, fakeCount: 90 },
      { real: 'mnist', fake: 'runs/a', realStats: 'mnist.stats.safetensors', realStatsCached: true },
    );
    expect(report.json).toMatchObject({ fid: 1.5, real: 'mnist', fake: 'runs/a', realStatsCached: true });
    expect(report.markdown).toContain('| mnist | runs/a | 100 / 90 | mnist-classifier | 1.500 |');
    expect(report.markdown).toContain('FIDs are comparable only between runs with the same extractor');
  });
});
