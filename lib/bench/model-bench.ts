import { models, type ModelPreset } from '../models';
import { tensor } from '../tensor';
import { medianMs, round } from './timing';

export interface ForwardRow {
  preset: string;
  batch: number;
  forwardMs: number;
  msPerImage: number;
}

/** Median forward time of each preset at its default image size (no gradients, this process's threads). */
export async function benchForward(presets: ModelPreset[], batches = [1, 8]): Promise<ForwardRow[]> {
  const rows: ForwardRow[] = [];
  for (const preset of presets) {
    const model = models.create({ preset, seed: 0 });
    for (const batch of batches) {
      const shape = [batch, model.channels, model.imageSize, model.imageSize];
      const n = shape.reduce((a, b) => a * b);
      const x = tensor(
        Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.1)),
        shape,
      );
      const t = tensor(new Float32Array(batch).fill(500), [batch]);
      const ms = await medianMs(async () => (await model.forward(x, t)).dispose(), 5, 500);
      rows.push({ preset, batch, forwardMs: round(ms), msPerImage: round(ms / batch) });
      x.dispose();
      t.dispose();
    }
    model.dispose();
  }
  return rows;
}
