import { Command } from 'commander';

import { loadDenoiser } from '../checkpoint/load-denoiser';
import { imageRange } from '../data/image-range';
import { loadDataset } from '../data/load';
import { denoise, disposeStepImages } from '../diffusion';
import { writeImageGrid } from '../report/image-grid';
import { tensor } from '../tensor';
import { diffusionFlags, diffusionFromFlags, type DiffusionFlags } from './diffusion-flags';
import { withExample } from './help';
import { imageFile, scaleFlag } from './image-flags';
import { writeOut } from './output';
import { count } from './parse';
import { progressPrinter } from './progress';
import { checkpointFallbacks, reverseFlags, type ReverseFlagValues } from './reverse-flags';

interface DenoiseCliOptions extends DiffusionFlags, ReverseFlagValues {
  checkpoint: string;
  noiseStep: number;
  n: number;
  out?: string;
  scale?: number;
  json?: boolean;
}

/** The rows of denoise's grid, top to bottom. */
const DENOISE_ROWS = ['clean', 'noisy', 'denoised'];

export function denoiseCommand(): Command {
  const command = new Command('denoise')
    .description('noise the first images of the checkpoint’s dataset to a step, denoise them, trace MSE and PSNR')
    .requiredOption('--checkpoint <dir>', 'a folder written by missing-u train')
    .option('--noise-step <t>', 'the diffusion step to noise to', count('--noise-step'), 400)
    .option('--n <n>', 'how many images', count('--n'), 8);
  reverseFlags(command, ['seed', 'sampler', 'steps', 'spacing', 'eta', 'device', 'precision'], {
    descriptions: { seed: 'seed of the noise and the sampler', steps: 'reverse steps from the noise step to 0' },
    fallbacks: checkpointFallbacks('the noise step + 1'),
  }).option(
    '--out <file.png>',
    'write clean, noisy and denoised images as a grid of three labelled rows: .png, .jpg, .jpeg or .webp',
    imageFile('--out'),
  );
  scaleFlag(command).option('--json', 'print the whole trace as JSON');
  diffusionFlags(command);
  withExample(command, 'missing-u denoise --checkpoint runs/mnist-cunet --noise-step 400 --n 8 --out denoised.png');
  return command.action(async (opts: DenoiseCliOptions) => {
    const checkpoint = loadDenoiser(opts.checkpoint, { device: opts.device });
    const data = await loadDataset(checkpoint.config.data);
    const n = Math.max(1, Math.min(opts.n, data.shape[0]));
    using clean = imageRange(data.data, data.shape, 0, n);
    const show = progressPrinter('denoise', 0, { every: 10 });
    const trace = await denoise(checkpoint.denoiser, clean, {
      ...diffusionFromFlags(opts),
      noiseStep: opts.noiseStep,
      seed: opts.seed,
      sampler: opts.sampler,
      steps: opts.steps,
      spacing: opts.spacing,
      eta: opts.eta,
      precision: opts.precision,
      trace: opts.out ? 'images' : 'metrics',
      onProgress: (p) => show(p.step, '', p.total),
    });
    const best = trace.steps.reduce((a, b) => (b.psnr > a.psnr ? b : a));
    const bestPredicted = trace.steps.reduce((a, b) => (b.predictedPsnr > a.predictedPsnr ? b : a));
    const last = trace.steps[trace.steps.length - 1];
    if (opts.out) {
      const rows = [clean.toFloat32Array(), trace.noisy.toFloat32Array(), (last.image ?? trace.noisy).toFloat32Array()];
      const all = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
      rows.reduce((at, r) => (all.set(r, at), at + r.length), 0);
      using grid = tensor(all, [3 * n, ...clean.shape.slice(1)]);
      await writeImageGrid(grid, opts.out, { columns: n, scale: opts.scale, rowLabels: DENOISE_ROWS });
    }
    trace.steps.forEach(disposeStepImages);
    trace.noisy.dispose();
    checkpoint.denoiser.dispose();
    const summary = {
      noiseStep: opts.noiseStep,
      images: n,
      bestPsnr: best.psnr,
      bestAtStep: best.t,
      finalPsnr: last.psnr,
      bestPredictedPsnr: bestPredicted.predictedPsnr,
      bestPredictedAtStep: bestPredicted.t,
      trace: opts.json
        ? trace.steps.map(({ t, mse, psnr, predictedMse, predictedPsnr }) => ({
            t,
            mse,
            psnr,
            predictedMse,
            predictedPsnr,
          }))
        : undefined,
    };
    writeOut(
      opts.json
        ? `${JSON.stringify(summary)}\n`
        : `denoised ${n} images from step ${opts.noiseStep}: best PSNR ${best.psnr.toFixed(2)} dB at step ${best.t}, ` +
            `final ${last.psnr.toFixed(2)} dB; the predicted clean image's best ${bestPredicted.predictedPsnr.toFixed(2)} dB ` +
            `at step ${bestPredicted.t}\n`,
    );
  });
}
