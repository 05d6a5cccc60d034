import { loadMnistPackage } from '../data/mnist-package';
import { sample, type Sampler } from '../diffusion';
import type { ModelPreset } from '../models';
import { train } from '../train';
import { round } from './timing';

export interface TrainSpeedRow {
  preset: string;
  batchSize: number;
  stepsPerSecond: number;
}

export interface SampleSpeedRow {
  preset: string;
  sampler: string;
  steps: number;
  n: number;
  secondsPerSample: number;
}

/** Training steps per second on the embedded MNIST digits, and seconds per sample for each sampler. */
export async function benchDiffusion(
  presets: ModelPreset[],
  trainSteps = 30,
  samplers: Array<{ sampler: Sampler; steps: number }> = [
    { sampler: 'ddpm', steps: 1000 },
    { sampler: 'ddpm', steps: 100 },
    { sampler: 'ddim', steps: 50 },
  ],
): Promise<{ training: TrainSpeedRow[]; sampling: SampleSpeedRow[] }> {
  const data = loadMnistPackage();
  const training: TrainSpeedRow[] = [];
  const sampling: SampleSpeedRow[] = [];
  for (const preset of presets) {
    let stepsPerSecond = 0;
    const batchSize = 32;
    const run = await train(
      { model: { preset }, data, train: { steps: trainSteps, batchSize, seed: 0 } },
      { onProgress: (p) => (stepsPerSecond = p.stepsPerSecond) },
    );
    training.push({ preset, batchSize, stepsPerSecond: round(stepsPerSecond) });
    for (const { sampler, steps } of samplers) {
      const n = 8;
      const started = performance.now();
      (await sample(run.ema, { n, sampler, steps, seed: 0 })).dispose();
      const seconds = (performance.now() - started) / 1000;
      sampling.push({ preset, sampler, steps, n, secondsPerSample: round(seconds / n) });
    }
    run.model.dispose();
    run.ema.dispose();
  }
  return { training, sampling };
}
