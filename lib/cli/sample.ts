import { Command } from 'commander';

import { loadCheckpoint } from '../checkpoint/checkpoint';
import { SafetensorsSliceWriter } from '../io/safetensors-slices';
import type { Device } from '../device';
import { sampleBatches, type Sampler } from '../diffusion';
import { MissingUError } from '../errors';
import { jit, type ScriptModule } from '../jit';
import type { Denoiser } from '../models';
import { gridTooLarge, ImageGrid, imageGridLayout } from '../report/image-grid';
import type { Precision } from '../schemas/precision';
import { diffusionFlags, diffusionFromFlags, type DiffusionFlags } from './diffusion-flags';
import { withExample } from './help';
import { count, imageShape, positiveCount, precisionOption } from './parse';
import { writeOut } from './output';
import { progressPrinter } from './progress';

interface SampleCliOptions extends DiffusionFlags {
  checkpoint?: string;
  torchscript?: string;
  shape?: string;
  n?: number;
  batchSize?: number;
  sampler?: Sampler;
  steps?: number;
  eta?: number;
  seed?: number;
  device: string;
  out: string;
  tensorOut?: string;
  precision?: Precision;
  json?: boolean;
}

function modelShape(model: Denoiser): [number, number, number] {
  return [model.channels, model.imageSize, model.imageSize];
}

export function sampleCommand(): Command {
  const command = new Command('sample')
    .description('generate images from a checkpoint (its EMA weights) or a TorchScript denoiser')
    .option('--checkpoint <dir>', 'a folder written by missing-u train (or import-official)')
    .option(
      '--torchscript <file>',
      'a torch.jit.save file with forward(x, t); its diffusion settings from the flags below or <name>.diffusion.json beside it',
    )
    .option('--shape <c,h,w>', 'image shape, for --torchscript')
    .option('--n <n>', 'number of images (default: the checkpoint config’s sample.n, else 64)', positiveCount('--n'))
    .option(
      '--batch-size <n>',
      'images sampled at once (default: as many as fit about 512 MB by the model’s measured memory per image; ' +
        'DDPM’s images depend on it, DDIM’s with --eta 0 do not)',
      positiveCount('--batch-size'),
    )
    .option('--sampler <name>', 'ddpm or ddim (default: the checkpoint config’s, else ddim)')
    .option(
      '--steps <n>',
      'reverse steps, respaced when fewer than T (default: the checkpoint config’s, else 50)',
      positiveCount('--steps'),
    )
    .option('--eta <x>', 'DDIM noise, 0 deterministic (default: the checkpoint config’s, else 0)', Number)
    .option(
      '--seed <n>',
      'seed of x_T and the sampler noise (default: the checkpoint config’s, else 0)',
      count('--seed'),
    )
    .option('--device <device>', 'cpu, cuda, cuda:N or auto', 'cpu')
    .option('--precision <p>', 'what the network runs in: fp32 (default), bf16 or fp16', precisionOption('--precision'))
    .option('--out <file.png>', 'where to write the image grid', 'samples.png')
    .option('--tensor-out <file.safetensors>', 'also write the raw samples (N, C, H, W) in [-1, 1]')
    .option('--json', 'print the result as JSON');
  diffusionFlags(command);
  withExample(
    command,
    'missing-u sample --checkpoint runs/mnist-cunet --n 16 --steps 50 --out samples.png',
    'missing-u sample --torchscript denoiser.pt --shape 3,64,64 --objective v --schedule sigmoid --out samples.png',
  );
  return command.action(async (opts: SampleCliOptions) => {
    if (!opts.checkpoint === !opts.torchscript) {
      throw new MissingUError('give either --checkpoint DIR or --torchscript FILE (with --shape C,H,W)');
    }
    const device = opts.device as Device;
    let settings = { sampler: 'ddim' as 'ddpm' | 'ddim', steps: 50 as number | undefined, eta: 0, n: 64, seed: 0 };
    const diffusion = diffusionFromFlags(opts);
    let shape: [number, number, number] | undefined;
    let denoiser: Denoiser | ScriptModule;
    if (opts.checkpoint) {
      const checkpoint = loadCheckpoint(opts.checkpoint, { device });
      checkpoint.model.dispose();
      denoiser = checkpoint.ema;
      settings = { ...settings, ...checkpoint.config.sample };
    } else {
      shape = imageShape(opts.shape);
      denoiser = jit.load(String(opts.torchscript), { device, diffusion });
    }
    const n = opts.n ?? settings.n;
    const tile = shape ?? modelShape(denoiser as Denoiser);
    // The grid is the output that must fit in memory; refused before any sampling.
    const tooLarge = gridTooLarge(imageGridLayout(n, tile));
    if (tooLarge) {
      throw new MissingUError(
        `${tooLarge}: lower --n${shape ? ' or --shape' : ''} (or sample in several runs, one --seed each)`,
      );
    }
    const grid = new ImageGrid(n, tile);
    const tensors = opts.tensorOut ? new SafetensorsSliceWriter(opts.tensorOut, 'samples', [n, ...tile]) : undefined;
    const show = progressPrinter('sample', 0, { every: 10 });
    try {
      const batches = sampleBatches(denoiser, {
        ...diffusion,
        n,
        shape,
        batchSize: opts.batchSize,
        sampler: opts.sampler ?? settings.sampler,
        steps: opts.steps ?? settings.steps,
        eta: opts.eta ?? settings.eta,
        seed: opts.seed ?? settings.seed,
        precision: opts.precision,
        onProgress: (p) => show(p.step, '', p.total),
      });
      for await (const { first, images } of batches) {
        const values = images.toFloat32Array();
        images.dispose();
        grid.add(values, first);
        tensors?.append(values);
      }
      await grid.write(opts.out);
      tensors?.finish();
    } catch (err) {
      tensors?.abort();
      throw err;
    } finally {
      denoiser.dispose();
    }
    const summary = { images: n, shape: [n, ...tile], png: opts.out, tensors: opts.tensorOut ?? null };
    writeOut(opts.json ? `${JSON.stringify(summary)}\n` : `wrote ${n} images to ${opts.out}\n`);
  });
}
