import { Command } from 'commander';

import { loadDenoiser } from '../checkpoint/load-denoiser';
import { SafetensorsSliceWriter } from '../io/safetensors-slices';
import { resolveDiffusion, sampleBatches, type DiffusionSettings } from '../diffusion';
import { MissingUError } from '../errors';
import { jit, type ScriptModule } from '../jit';
import type { Denoiser } from '../models';
import { gridTooLarge, ImageGrid, imageGridLayout } from '../report/image-grid';
import { resolveReverse, samplingOf, type ReverseSettings } from '../schemas/reverse-defaults';
import { SampleSectionSchema } from '../schemas/sample-section';
import { diffusionFlags, diffusionFromFlags, type DiffusionFlags } from './diffusion-flags';
import { withExample } from './help';
import { imageFile, scaleFlag } from './image-flags';
import { odeFlags, odeFromFlags, type OdeFlagValues } from './ode-flags';
import { imageShape, positiveCount } from './parse';
import { writeErr, writeOut } from './output';
import { progressPrinter } from './progress';
import { checkpointFallbacks, reverseFlags, type ReverseFlagValues } from './reverse-flags';

interface SampleCliOptions extends DiffusionFlags, ReverseFlagValues, OdeFlagValues {
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

/** The diffusion and reverse-process settings a run applied, as one stderr line says them. */
function settingsLine(settings: DiffusionSettings & ReverseSettings): string {
  const { schedule, diffusionSteps, objective, sampler, steps, spacing, eta, seed, ode } = settings;
  const solver =
    ode.method === 'dopri5' ? `dopri5, rtol ${ode.rtol}, atol ${ode.atol}` : `${ode.method}, ${ode.steps} steps`;
  const reverse =
    sampler === 'ode'
      ? `sampler ode (${solver}, down to t = ${ode.epsilon})`
      : `sampler ${sampler}, steps ${steps} (${spacing} spacing), eta ${eta}`;
  return (
    `missing-u: sampling with schedule ${schedule}, diffusion steps ${diffusionSteps}, objective ${objective}; ` +
    `${reverse}, seed ${seed}\n`
  );
}

/** The settings a run applied, as --json says them: the ODE solver only for the 'ode' sampler. */
function shownSettings(settings: DiffusionSettings & ReverseSettings): Partial<ReverseSettings> & DiffusionSettings {
  if (settings.sampler === 'ode') return settings;
  const shown: Partial<ReverseSettings> & DiffusionSettings = { ...settings };
  delete shown.ode;
  return shown;
}

function modelShape(model: Denoiser): [number, number, number] {
  return [model.channels, model.imageSize, model.imageSize];
}

export function sampleCommand(): Command {
  const defaultN = SampleSectionSchema.shape.n.parse(undefined);
  const command = new Command('sample')
    .description('generate images from a checkpoint (its EMA weights) or a TorchScript denoiser')
    .option('--checkpoint <dir>', 'a folder written by missing-u train (or import-official)')
    .option(
      '--torchscript <file>',
      'a torch.jit.save file with forward(x, t); its diffusion settings from the flags below or <name>.diffusion.json beside it',
    )
    .option('--shape <c,h,w>', 'image shape, for --torchscript')
    .option('--n <n>', `number of images (default: the checkpoint config’s, else ${defaultN})`, positiveCount('--n'))
    .option(
      '--batch-size <n>',
      'images sampled at once (default: as many as fit about 512 MB by the model’s measured memory per image; ' +
        'DDPM’s images depend on it, DDIM’s with --eta 0 do not)',
      positiveCount('--batch-size'),
    );
  reverseFlags(command, ['sampler', 'steps', 'spacing', 'eta', 'seed', 'device', 'precision'], {
    fallbacks: checkpointFallbacks(),
  }).option(
    '--out <file.png>',
    'where to write the image grid: .png, .jpg, .jpeg or .webp',
    imageFile('--out'),
    'samples.png',
  );
  odeFlags(command);
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
    const diffusion = diffusionFromFlags(opts);
    let shape: [number, number, number] | undefined;
    let denoiser: Denoiser | ScriptModule;
    let n = opts.n ?? defaultN;
    if (opts.checkpoint) {
      const checkpoint = loadDenoiser(opts.checkpoint, { device });
      denoiser = checkpoint.denoiser;
      n = opts.n ?? checkpoint.config.sample.n;
    } else {
      shape = imageShape(opts.shape);
      denoiser = jit.load(String(opts.torchscript), { device, diffusion });
    }
    // What sample() would resolve, resolved here so that the run can say what it applied.
    const trained = resolveDiffusion(denoiser, diffusion);
    const given = { ...opts, ode: odeFromFlags(opts) };
    const applied = { ...trained, ...resolveReverse(samplingOf(denoiser), given, trained.diffusionSteps) };
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
    if (opts.torchscript) writeErr(settingsLine(applied));
    const show = progressPrinter('sample', 0, { every: 10 });
    try {
      const batches = sampleBatches(denoiser, {
        ...applied,
        n,
        shape,
        batchSize: opts.batchSize,
        precision: opts.precision,
        onProgress: (p) => show(p.step, `nfe ${p.nfe}`, p.total),
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
    const summary = {
      images: n,
      shape: [n, ...tile],
      image: opts.out,
      tensors: opts.tensorOut ?? null,
      settings: shownSettings(applied),
    };
    writeOut(opts.json ? `${JSON.stringify(summary)}\n` : `wrote ${n} images to ${opts.out}\n`);
  });
}
