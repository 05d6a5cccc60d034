// A reverse process written out step by step with Scheduler, as diffusers' schedulers are used: the same
// native updates sample() runs, so the loop's images equal sample()'s with the same settings.
//
//   node custom-loop.mjs [checkpoint folder, default runs/example]
import { loadCheckpointAsync, sample, Scheduler, writeImageGrid } from 'missing-u';
import type { Tensor } from 'missing-u';

const dir = process.argv[2] ?? 'runs/example';
const checkpoint = await loadCheckpointAsync(dir);
checkpoint.model.dispose();
using model = checkpoint.ema;

// The model's own objective, schedule and T, then the reverse process: DDIM over 20 of the T steps.
const settings = { ...model.diffusion, sampler: 'ddim', steps: 20, eta: 0, seed: 0 } as const;
using scheduler = new Scheduler(settings);
let x: Tensor = scheduler.initialNoise([8, model.channels, model.imageSize, model.imageSize]);
for (const t of scheduler.timesteps) {
  using steps = scheduler.timestep(t, x); // int64 (B,): the step the network is told
  using prediction = await model.forward(x, steps);
  const { prev, x0 } = scheduler.step(prediction, t, x);
  x0.dispose(); // the clean image this step predicts: a custom loop could guide or log it here
  x.dispose();
  x = prev;
}

using reference = await sample(model, { ...settings, n: 8 });
const a = x.toFloat32Array();
const b = reference.toFloat32Array();
const largest = a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - b[i])), 0);
console.log(`${scheduler.timesteps.length} steps (${scheduler.timesteps.slice(0, 3).join(', ')}, ...)`);
console.log(`largest difference from sample(): ${largest}`);
await writeImageGrid(x, 'custom-loop.png');
x.dispose();
