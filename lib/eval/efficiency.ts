import { resolveDiffusion, sample, type DiffusionOptions, type Sampler } from '../diffusion';
import type { Denoiser } from '../models';
import type { Precision } from '../schemas/precision';
import { resolveReverse } from '../schemas/reverse-defaults';
import { modelCost, type ModelCost } from './model-cost';

export interface EfficiencyEntry {
  name: string;
  model: Denoiser;
  /**
   * The model's reverse process: sampler and step count; each left out is the model's checkpoint's,
   * else sample's default (docs/guide.md, "The reverse process").
   */
  sampler?: Sampler;
  steps?: number;
  diffusion?: DiffusionOptions;
}

export interface EfficiencyRow extends ModelCost {
  name: string;
  preset: string;
  imageSize: number;
  channels: number;
  sampler: Sampler;
  steps: number;
  /** Wall seconds of the whole reverse process divided by the images it made. */
  secondsPerSample: number;
  /** Milliseconds per reverse step per image (secondsPerSample / steps). */
  msPerStep: number;
}

export interface EfficiencyOptions {
  /** Images generated per timing run (default 4). */
  batch?: number;
  /** Timing rounds, each running every model once in turn; each model's median is kept (default 1). */
  repeats?: number;
  /** What every model runs in (default: each model's own). */
  precision?: Precision;
  signal?: AbortSignal;
  onProgress?: (p: { name: string; done: number; total: number }) => void;
}

/**
 * The paper's efficiency table (table 5, figure 6): parameters, GFLOPs, memory, and the measured
 * seconds per sample of each model with its own sampler and step count. The models are timed side by
 * side in this process under the same threads: every round runs each model once, in turn, so a change
 * of load on the machine falls on all of them alike; each model keeps its median round.
 */
export async function efficiency(entries: EfficiencyEntry[], opts: EfficiencyOptions = {}): Promise<EfficiencyRow[]> {
  const batch = Math.max(1, opts.batch ?? 4);
  const repeats = Math.max(1, opts.repeats ?? 1);
  const runs = entries.map((entry) => {
    const { diffusionSteps } = resolveDiffusion(entry.model, entry.diffusion);
    return { entry, ...resolveReverse(entry.model.sampling, entry, diffusionSteps), times: [] as number[] };
  });
  for (let r = 0; r < repeats; r++) {
    for (const run of runs) {
      const { entry, sampler, steps } = run;
      const started = process.hrtime.bigint();
      const images = await sample(entry.model, {
        ...entry.diffusion,
        n: batch,
        sampler,
        steps,
        seed: r,
        precision: opts.precision,
        signal: opts.signal,
        onProgress: (p) => opts.onProgress?.({ name: entry.name, done: p.step, total: p.total }),
      });
      run.times.push(Number(process.hrtime.bigint() - started) / 1e9);
      images.dispose();
    }
  }
  return runs.map(({ entry, sampler, steps, times }) => {
    times.sort((a, b) => a - b);
    const seconds = times[Math.floor(times.length / 2)];
    return {
      name: entry.name,
      preset: entry.model.preset,
      imageSize: entry.model.imageSize,
      channels: entry.model.channels,
      sampler,
      steps,
      ...modelCost(entry.model),
      secondsPerSample: Math.round((seconds / batch) * 1e4) / 1e4,
      msPerStep: Math.round((seconds / batch / steps) * 1e6) / 1e3,
    };
  });
}
