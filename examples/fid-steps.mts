// FID against the number of sampling steps (the paper's Table 1) for a checkpoint, with the bundled MNIST
// feature extractor; and the fewest steps whose FID is within 5% of the best.
//
//   node fid-steps.mjs [checkpoint folder, default runs/example] [n, default 200]
import { evaluation, loadCheckpointAsync, loadMnistPackageAsync, tensor } from 'missing-u';

const dir = process.argv[2] ?? 'runs/example';
const n = Number(process.argv[3] ?? 200);

// FIDs are comparable only under one extractor: the statistics carry its name.
const extractor = evaluation.loadExtractor('mnist');
const digits = await loadMnistPackageAsync(n);
using real = tensor(digits.data, digits.shape);
const realStats = await evaluation.featureStats(extractor.module, real, { extractorName: extractor.name });

const checkpoint = await loadCheckpointAsync(dir);
checkpoint.model.dispose();
using ema = checkpoint.ema;
const { rows, optimal } = await evaluation.fidSteps([{ name: 'cunet', denoiser: ema, checkpoint: dir }], {
  real: realStats,
  extractor,
  steps: [5, 10, 20],
  sampler: 'ddim',
  n,
  seed: 0,
  onProgress: ({ rowsDone, rows }) => process.stdout.write(`\rrow ${rowsDone + 1} of ${rows}`),
});
console.log();
console.table(rows.map(({ steps, fid, secondsPerSample }) => ({ steps, fid, secondsPerSample })));
console.log(optimal); // per denoiser: the fewest steps within 5% of its best FID
extractor.module.dispose();
