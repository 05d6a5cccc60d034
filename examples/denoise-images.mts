// Denoise image files: noise each to a diffusion step, run the reverse process back to 0, report PSNR
// along the way and write clean / noisy / denoised rows to a grid.
//
//   node denoise-images.mjs [image folder, default examples/images] [checkpoint folder, default runs/example]
import { denoise, disposeStepImages, loadCheckpointAsync, loadImageFolder, tensor, writeImageGrid } from 'missing-u';

const folder = process.argv[2] ?? 'examples/images';
const dir = process.argv[3] ?? 'runs/example';

const checkpoint = await loadCheckpointAsync(dir);
checkpoint.model.dispose();
using model = checkpoint.ema;
const channels = model.channels === 1 ? 1 : 3;

// Every PNG, JPEG or WebP in the folder, resized to the model's side, as (N, C, S, S) in [-1, 1].
const clean = await loadImageFolder(folder, { imageSize: model.imageSize, channels });
using x = tensor(clean.data, clean.shape);

// `trace: 'images'` keeps x_t and the predicted clean image of every step beside their metrics.
const { noisy, steps } = await denoise(model, x, {
  noiseStep: 200,
  sampler: 'ddim',
  steps: 20,
  seed: 0,
  trace: 'images',
});
const final = steps[steps.length - 1];
const best = steps.reduce((a, b) => (b.predictedPsnr > a.predictedPsnr ? b : a));
console.log(`${clean.shape[0]} image(s) noised to step 200, then ${steps.length} DDIM steps back to 0`);
console.log(`PSNR of the denoised images: ${final.psnr.toFixed(2)} dB`);
console.log(`best predicted clean image: at t = ${best.t}, ${best.predictedPsnr.toFixed(2)} dB`);

if (final.image) {
  const size = clean.data.length;
  const rows = new Float32Array(3 * size);
  rows.set(clean.data, 0);
  rows.set(noisy.toFloat32Array(), size);
  rows.set(final.image.toFloat32Array(), 2 * size);
  using grid = tensor(rows, [3 * clean.shape[0], ...clean.shape.slice(1)]);
  // One column per image, a label left of each row; scaled up to at least 256 px wide unless `scale` is given.
  const rowLabels = ['clean', 'noisy', 'denoised'];
  await writeImageGrid(grid, 'denoised.png', { columns: clean.shape[0], rowLabels });
  console.log('wrote denoised.png: clean, noisy and denoised rows');
}
noisy.dispose();
steps.forEach(disposeStepImages);
