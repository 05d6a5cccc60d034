import { Command } from 'commander';

import { MissingUError } from '../errors';
import { importOfficial, type OfficialPreset } from '../interop/import-official';
import { positiveCount } from './parse';

interface ImportCliOptions {
  preset: string;
  out: string;
  imageSize?: number;
  data?: string;
  json?: boolean;
}

export function importOfficialCommand(): Command {
  return new Command('import-official')
    .description(
      'turn a checkpoint of the official cDDPM code (Trainer.save: model-N.pt) into a missing-u checkpoint folder ' +
        '(read by libtorch, no Python): EMA and online weights, diffusion settings, Adam moments',
    )
    .argument('<model.pt>', 'the file the official Trainer saved')
    .requiredOption('--preset <name>', 'cunet-paper (ConvSODEUNet) or unet-paper (Unet(dim=64, dim_mults=(1,2,4,8)))')
    .requiredOption('--out <dir>', 'the checkpoint folder to write (new, empty, or a missing-u checkpoint)')
    .option(
      '--image-size <n>',
      'the image side it was trained on (default: the preset’s, 64)',
      positiveCount('--image-size'),
    )
    .option('--data <dir>', 'the image folder a resumed run trains on (written to config.json)', 'images')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  missing-u import-official results/model-100.pt --preset cunet-paper --out runs/official-100\n' +
        '  missing-u sample --checkpoint runs/official-100 --n 16 --out samples.png',
    )
    .action(async (file: string, opts: ImportCliOptions) => {
      if (opts.preset !== 'cunet-paper' && opts.preset !== 'unet-paper') {
        throw new MissingUError(`--preset must be cunet-paper or unet-paper (got ${opts.preset})`);
      }
      const result = await importOfficial(file, {
        preset: opts.preset as OfficialPreset,
        out: opts.out,
        imageSize: opts.imageSize,
        data: opts.data,
      });
      const { objective, schedule, diffusionSteps } = result.diffusion;
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(result)}\n`
          : `imported ${file} (step ${result.step}, ${result.tensors} tensors, width ${result.width}; ${objective}, ` +
              `${schedule}, T = ${diffusionSteps}; Adam moments for ${result.adamMoments} parameters) into ${result.out}\n`,
      );
    });
}
