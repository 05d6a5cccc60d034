import type { Denoiser } from '../models';

/** What a model costs, independent of its weights. */
export interface ModelCost {
  parameters: number;
  trainable: number;
  /** thop-style multiply-accumulates of one forward pass at batch 1, in G (the papers' "GFLOPs"). */
  gflops: number;
  /** fp32 weights, gradients and two Adam moments, 16 bytes per parameter, in MiB: the paper's "MB" column. */
  trainingStateMiB: number;
  /** Measured peak CPU tensor memory of a forward pass at batch 1, without and with autograd, in MB. */
  peakInferenceMB: number | null;
  peakTrainingMB: number | null;
}

const MB = 1e6;
const round = (x: number) => Math.round(x * 100) / 100;

export function modelCost(model: Denoiser): ModelCost {
  const shape = [1, model.channels, model.imageSize, model.imageSize];
  const count = model.parameterCount();
  const peak = model.peakMemory(shape);
  return {
    parameters: count.total,
    trainable: count.trainable,
    gflops: round(model.flops(shape).macs / 1e9),
    trainingStateMiB: round((count.total * 16) / 2 ** 20),
    peakInferenceMB: peak ? round(peak.inference / MB) : null,
    peakTrainingMB: peak ? round(peak.training / MB) : null,
  };
}
