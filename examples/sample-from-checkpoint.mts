// Sample from a checkpoint folder: one that `missing-u train` (or train-and-sample.mts) wrote.
//
//   node sample-from-checkpoint.mjs [checkpoint folder, default runs/example] [n, default 16]
import {
  loadCheckpointAsync,
  MissingUError,
  resolveReverse,
  sample,
  writeImageGrid,
  writeSafetensors,
} from 'missing-u';
import type { LoadedCheckpoint } from 'missing-u';

const dir = process.argv[2] ?? 'runs/example';
const n = Number(process.argv[3] ?? 16);

let checkpoint: LoadedCheckpoint;
try {
  checkpoint = await loadCheckpointAsync(dir);
} catch (err) {
  // Every error missing-u reports is a MissingUError with a stable code ('file', 'format', 'shape', ...).
  if (err instanceof MissingUError && err.code === 'file') {
    console.error(`no checkpoint in ${dir}: run train-and-sample.mjs (or missing-u train) first`);
    process.exit(1);
  }
  throw err;
}
checkpoint.model.dispose(); // the EMA weights are the ones to sample from
using ema = checkpoint.ema;
console.log(`${ema.preset} at step ${checkpoint.state.step}, trained as`, ema.diffusion);

// The config's `sample` section (ema.sampling) gives every reverse-process option left out here: sampler,
// steps, eta and seed; options given win, as in sample(ema, { n, sampler: 'ddpm', steps: 100 }).
// What sample() resolves below, for the last line.
const { sampler, steps } = resolveReverse(ema.sampling, {}, ema.diffusion?.diffusionSteps);
using images = await sample(ema, {
  n,
  onProgress: ({ step, total }) => process.stdout.write(`\rstep ${step}/${total}`),
});
console.log();
await writeImageGrid(images, 'checkpoint-samples.png');
// The images as float32 in [-1, 1], readable in Python with safetensors.torch.load_file.
writeSafetensors('checkpoint-samples.safetensors', { images: { shape: images.shape, data: images.toFloat32Array() } });
console.log(`wrote checkpoint-samples.png and .safetensors (${sampler}, ${steps} steps)`);
