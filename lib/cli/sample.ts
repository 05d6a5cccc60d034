import { Command } from 'commander';

import { loadDenoiser } from '../checkpoint/load-denoiser';
import { SafetensorsSliceWriter } from '../io/safetensors-slices';
import { sampleBatches } from '../diffusion';
import { MissingUError } from '../errors';
import { jit, type ScriptModule } from '../jit';
import type { Denoiser } from '../models';
import { gridTooLarge, ImageGrid, imageGridLayout } from '../report/image-grid';
import { DEFAULT_SAMPLE_STEPS, SampleSectionSchema } from '../schemas/sample-section';
import { diffusionFlags, diffusionFromFlags, type DiffusionFlags } from './diffusion-flags';
import { withExample } from './help';
import { imageFile, scaleFlag } from './image-flags';
import { imageShape, positiveCount } from './parse';
import { writeOut } from './output';
import { progressPrinter } from './progress';
import { reverseFlags, type ReverseFlagValues } from './reverse-flags';

interface SampleCliOptions extends DiffusionFlags, ReverseFlagValues {
  checkpoint?: string;
  torchscript?: string;
  shape?: string;
  n?: number;
  batchSize?: number;
  out: string;
  scale?: number;
  tensorOut?: string;
  json?: boolean;
}

/** How a denoiser without a config is sampled: the sample section's defaults, DEFAULT_SAMPLE_STEPS steps. */
function withoutConfig() {
  return { ...SampleSectionSchema.parse({}), steps: DEFAULT_SAMPLE_STEPS as number | undefined };
}

const fromConfig = (value: unknown) => `the checkpoint config’s, else ${value}`;

function modelShape(model: Denoiser): [number, number, number] {
  return [model.channels, model.imageSize, model.imageSize];
}

export function sampleCommand(): Command {
  const defaults = withoutConfig();
  const command = new Command('sample')
    .description('generate images from a checkpoint (its EMA weights) or a TorchScript denoiser')
    .option('--checkpoint <dir>', 'a folder written by missing-u train (or import-official)')
    .option(
      '--torchscript <file>',
      'a torch.jit.save file with forward(x, t); its diffusion settings from the flags below or <name>.diffusion.json beside it',
    )
    .option('--shape <c,h,w>', 'image shape, for --torchscript')
    .option('--n <n>', `number of images (default: ${fromConfig(defaults.n)})`, positiveCount('--n'))
    .option(
      '--batch-size <n>',
      'images sampled at once (default: as many as fit about 512 MB by the model’s measured memory per image; ' +
        'DDPM’s images depend on it, DDIM’s with --eta 0 do not)',
      positiveCount('--batch-size'),
    );
  reverseFlags(command, ['sampler', 'steps', 'eta', 'seed', 'device', 'precision'], {
    fallbacks: {
      sampler: fromConfig(defaults.sampler),
      steps: fromConfig(defaults.steps),
      eta: fromConfig(defaults.eta),
      seed: fromConfig(defaults.seed),
    },
  }).option(
    '--out <file.png>',
    'where to write the image grid: .png, .jpg, .jpeg or .webp',
    imageFile('--out'),
    'samples.png',
  );
  scaleFlag(command)
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
    const { device } = opts;
    let settings = defaults;
    const diffusion = diffusionFromFlags(opts);
    let shape: [number, number, number] | undefined;
    let denoiser: Denoiser | ScriptModule;
    if (opts.checkpoint) {
      const checkpoint = loadDenoiser(opts.checkpoint, { device });
      denoiser = checkpoint.denoiser;
      settings = { ...settings, ...checkpoint.config.sample };
    } else {
      shape = imageShape(opts.shape);
      denoiser = jit.load(String(opts.torchscript), { device, diffusion });
    }
    const n = opts.n ?? settings.n;
    const tile = shape ?? modelShape(denoiser as Denoiser);
    // The grid is the output that must fit in memory; refused before any sampling.
    const gridOptions = { scale: opts.scale };
    const tooLarge = gridTooLarge(imageGridLayout(n, tile, gridOptions));
    if (tooLarge) {
      const lower = ['--n', ...(shape ? ['--shape'] : []), ...(opts.scale ? ['--scale'] : [])];
      throw new MissingUError(`${tooLarge}: lower ${lower.join(' or ')} (or sample in several runs, one --seed each)`);
    }
    const grid = new ImageGrid(n, tile, gridOptions);
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
    const summary = { images: n, shape: [n, ...tile], image: opts.out, tensors: opts.tensorOut ?? null };
    writeOut(opts.json ? `${JSON.stringify(summary)}\n` : `wrote ${n} images to ${opts.out}\n`);
  });
}
