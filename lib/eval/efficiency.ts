import { resolveDiffusion, sample, type DiffusionOptions, type Sampler } from '../diffusion';
import type { Denoiser } from '../models';
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
  /** Timing runs; the median is kept (default 1). */
  repeats?: number;
  signal?: AbortSignal;
  onProgress?: (p: { name: string; done: number; total: number }) => void;
}

/**
 * The paper's efficiency table (table 5, figure 6): parameters, GFLOPs, memory, and the measured
 * seconds per sample of each model with its own sampler and step count, measured in this process
 * one after another under the same threads.
 */
export async function efficiency(entries: EfficiencyEntry[], opts: EfficiencyOptions = {}): Promise<EfficiencyRow[]> {
  const batch = Math.max(1, opts.batch ?? 4);
  const repeats = Math.max(1, opts.repeats ?? 1);
  const rows: EfficiencyRow[] = [];
  for (const entry of entries) {
    const { diffusionSteps } = resolveDiffusion(entry.model, entry.diffusion);
    const { sampler, steps } = resolveReverse(entry.model.sampling, entry, diffusionSteps);
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const started = process.hrtime.bigint();
      const images = await sample(entry.model, {
        ...entry.diffusion,
        n: batch,
        sampler,
        steps,
        seed: r,
        signal: opts.signal,
        onProgress: (p) => opts.onProgress?.({ name: entry.name, done: p.step, total: p.total }),
      });
      times.push(Number(process.hrtime.bigint() - started) / 1e9);
      images.dispose();
    }
    times.sort((a, b) => a - b);
    const seconds = times[Math.floor(times.length / 2)];
    rows.push({
      name: entry.name,
      preset: entry.model.preset,
      imageSize: entry.model.imageSize,
      channels: entry.model.channels,
      sampler,
      steps,
      ...modelCost(entry.model),
      secondsPerSample: Math.round((seconds / batch) * 1e4) / 1e4,
      msPerStep: Math.round((seconds / batch / steps) * 1e6) / 1e3,
    });
  }
  return rows;
}
