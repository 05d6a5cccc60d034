import { Command } from 'commander';

import { loadDenoiser } from '../checkpoint/load-denoiser';
import type { TrainConfigJson } from '../config/train-config';
import { loadDataset } from '../data/load';
import { MissingUError } from '../errors';
import { denoiseStudy, type StudyDenoiser } from '../eval/denoise-study';
import { denoiseStudyReport } from '../eval/denoise-study-report';
import { efficiency, type EfficiencyEntry } from '../eval/efficiency';
import { efficiencyReport } from '../eval/efficiency-report';
import { fidReport } from '../eval/fid-report';
import { fid } from '../eval/fid';
import { loadImageSource } from '../eval/image-source';
import { lpips, LPIPS_MIN_SIDE, psnr, ssim } from '../eval/metrics';
import { pairReport } from '../eval/pair-report';
import { jit, type ScriptModule } from '../jit';
import { models, type ModelPreset } from '../models';
import { info } from '../runtime';
import { OBJECTIVES, PRECISIONS, SAMPLERS, SCHEDULES } from '../schemas/names';
import { tensor, type Tensor } from '../tensor';
import { diffusionFromFlags, type DiffusionFlags } from './diffusion-flags';
import { digitsCommand } from './eval-digits';
import { fidSpreadCommand } from './eval-fid-spread';
import { fidStepsCommand } from './eval-fid-steps';
import { emit, named, withOutput, type OutputOptions } from './eval-output';
import { checkFlagPaths, fidFlagPaths } from './eval-paths';
import { extractorFromFlags, fidFlags, realStatsFromFlags, type FidFlags } from './fid-flags';
import { alternatives, collect, count, counts, positive } from './parse';
import { progressPrinter } from './progress';
import { odeFlags, odeFromFlags, type OdeFlagValues } from './ode-flags';
import { checkpointFallbacks, DENOISERS_PRECISION, reverseFlags, type ReverseFlagValues } from './reverse-flags';

interface PairOptions extends OutputOptions {
  a: string;
  b: string;
  n?: number;
  imageSize?: number;
  channels?: 1 | 3;
}

function pairCommand(name: 'ssim' | 'psnr' | 'lpips', description: string): Command {
  const command = new Command(name)
    .description(description)
    .requiredOption('--a <source>', "images: 'mnist', a .safetensors file, a checkpoint folder or an image folder")
    .requiredOption('--b <source>', 'the images to compare with, in the same order and shape')
    .option('--n <n>', 'compare the first n images', count('--n'))
    .option('--image-size <n>', 'size to load image folders at', count('--image-size'))
    .option('--channels <c>', 'channels to load image folders with (1 or 3)', (v) => (v === '1' ? 1 : 3));
  if (name === 'lpips') command.option('--lpips <file>', 'the LPIPS v0.1 TorchScript file (docs/lpips.md)');
  else command.option('--data-range <r>', 'the images’ value range (2 for [-1, 1])', positive('--data-range'), 2);
  return withOutput(command).action(async (opts: PairOptions & { lpips?: string; dataRange?: number }) => {
    let module: ScriptModule | undefined;
    if (name === 'lpips') {
      if (!opts.lpips) {
        throw new MissingUError('eval lpips needs --lpips FILE: an LPIPS v0.1 TorchScript file (see docs/lpips.md)');
      }
      module = jit.load(opts.lpips);
    }
    const load = { n: opts.n, imageSize: opts.imageSize, channels: opts.channels };
    using a = await loadImageSource(opts.a, load);
    using b = await loadImageSource(opts.b, { ...load, n: a.shape[0] });
    if (a.shape.join() !== b.shape.join()) {
      throw new MissingUError(
        `--a gives images [${a.shape.join(', ')}] but --b gives [${b.shape.join(', ')}]: ${name} compares images of the same shape (use --n, --image-size, --channels)`,
      );
    }
    const values =
      name === 'lpips'
        ? await lpips(module, a, b, { minSide: LPIPS_MIN_SIDE })
        : await (name === 'ssim' ? ssim : psnr)(a, b, { dataRange: opts.dataRange });
    module?.dispose();
    await emit(pairReport(name, values, { a: opts.a, b: opts.b, lpips: opts.lpips, dataRange: opts.dataRange }), opts);
  });
}

interface FidCliOptions
  extends OutputOptions, FidFlags, OdeFlagValues, Pick<ReverseFlagValues, 'sampler' | 'steps' | 'spacing'> {
  fake: string;
  n: number;
  imageSize?: number;
}

function fidCommand(): Command {
  const command = new Command('fid')
    .description('Fréchet distance between the features of two image sets, labelled with the extractor used')
    .requiredOption(
      '--real <source>',
      "reference images ('mnist', a folder, .safetensors) or cached .stats.safetensors",
    )
    .requiredOption('--fake <source>', 'generated images: a checkpoint folder (sampled), .safetensors or a folder')
    .option('--n <n>', 'images per side', count('--n'), 1000)
    .option('--image-size <n>', 'size to load image folders at', count('--image-size'));
  reverseFlags(command, ['sampler', 'steps', 'spacing'], {
    scope: 'for a checkpoint --fake: ',
    fallbacks: checkpointFallbacks(),
  });
  odeFlags(command);
  return withOutput(fidFlags(command)).action(async (opts: FidCliOptions) => {
    checkFlagPaths([...fidFlagPaths(opts), { flag: '--fake', path: opts.fake, kind: 'images' }]);
    const extractor = extractorFromFlags(opts);
    const show = progressPrinter('features', opts.n, { every: 500 });
    const load = {
      n: opts.n,
      imageSize: opts.imageSize,
      sampler: opts.sampler,
      steps: opts.steps,
      spacing: opts.spacing,
      ode: odeFromFlags(opts),
    };
    const real = await realStatsFromFlags(opts, extractor, load, (p) => show(p.done));
    using fake = await loadImageSource(opts.fake, load);
    const result = await fid(extractor, real.stats, fake, { onProgress: (p) => show(p.done) });
    extractor.module.dispose();
    const sources = { real: opts.real, fake: opts.fake, realStats: real.file, realStatsCached: real.cached };
    await emit(fidReport(result, sources), opts);
  });
}

interface StudyCliOptions
  extends OutputOptions, Pick<DiffusionFlags, 'schedule' | 'objective'>, Omit<ReverseFlagValues, 'eta'> {
  checkpoint: string[];
  torchscript: string[];
  data?: string;
  n: number;
  noiseSteps?: number[];
  lpips?: string;
  baseline: boolean;
  chunk: number;
}

function denoiseStudyCommand(): Command {
  const command = new Command('denoise-study')
    .description('the paper’s denoising study: best SSIM/LPIPS per noise step, where it peaked and how long it took')
    .option('--checkpoint <name=dir>', 'a trained checkpoint (repeat for several)', collect, [])
    .option('--torchscript <name=file>', 'a TorchScript denoiser forward(x, t) (repeat for several)', collect, [])
    .option(
      '--data <source>',
      "clean images: 'mnist', a folder or .safetensors (default: evenly spaced images of the checkpoint’s dataset)",
    )
    .option('--n <n>', 'how many images (the paper used 300)', count('--n'), 16)
    .option('--noise-steps <list>', 'noise steps (default 50,100,150,200,250,400,600,800)', counts('--noise-steps'));
  const fallbacks = checkpointFallbacks(null);
  reverseFlags(command, ['sampler', 'steps', 'seed'], {
    descriptions: {
      seed: 'seed of the noise',
      steps: 'reverse steps from each noise step, at most it + 1 (the paper: --sampler ddpm --steps 1000, every step)',
    },
    fallbacks: { sampler: fallbacks.sampler, steps: fallbacks.steps, seed: '0' },
  })
    .option('--lpips <file>', 'an LPIPS v0.1 TorchScript file (docs/lpips.md); without it: SSIM and PSNR only')
    .option('--no-baseline', 'leave out the Gaussian-blur baseline')
    .option('--chunk <n>', 'images per reverse-process call (memory bound)', count('--chunk'), 16);
  reverseFlags(command, ['precision'], {
    descriptions: { precision: DENOISERS_PRECISION },
    fallbacks: { precision: 'their own' },
  })
    .option(
      '--schedule <name>',
      `for --torchscript: the noise schedule it was trained with: ${alternatives(SCHEDULES)}`,
    )
    .option('--objective <name>', `for --torchscript: ${alternatives(OBJECTIVES)}`);
  return withOutput(command).action(async (opts: StudyCliOptions) => {
    if (opts.checkpoint.length + opts.torchscript.length === 0) {
      throw new MissingUError('eval denoise-study needs at least one --checkpoint NAME=DIR or --torchscript NAME=FILE');
    }
    const denoisers: StudyDenoiser[] = [];
    let dataFromCheckpoint: TrainConfigJson['data'] | undefined;
    const lpipsModule = opts.lpips ? jit.load(opts.lpips) : undefined;
    try {
      for (const spec of opts.checkpoint) {
        const { name, file } = named(spec);
        const { denoiser, config, diffusion } = loadDenoiser(file);
        dataFromCheckpoint ??= config.data;
        denoisers.push({ name, denoiser, diffusion });
      }
      const diffusion = diffusionFromFlags({ schedule: opts.schedule, objective: opts.objective });
      for (const spec of opts.torchscript) {
        const { name, file } = named(spec);
        denoisers.push({ name, denoiser: jit.load(file), diffusion });
      }
      let images: Tensor;
      if (opts.data) {
        images = await loadImageSource(opts.data, { n: opts.n });
      } else if (dataFromCheckpoint) {
        // Evenly spaced through the dataset, so that class-ordered data (the npm digits) is covered.
        const data = await loadDataset(dataFromCheckpoint);
        const [total, c, h, w] = data.shape;
        const n = Math.min(opts.n, total);
        const per = c * h * w;
        const picked = new Float32Array(n * per);
        for (let i = 0; i < n; i++) {
          const from = Math.floor((i * total) / n) * per;
          picked.set(data.data.subarray(from, from + per), i * per);
        }
        images = tensor(picked, [n, c, h, w]);
      } else {
        throw new MissingUError('eval denoise-study with only --torchscript needs --data SOURCE (clean images)');
      }
      const show = progressPrinter('denoise-study', denoisers.length * (opts.noiseSteps?.length ?? 8), { every: 1 });
      let done = 0;
      const study = await denoiseStudy(denoisers, images, {
        noiseSteps: opts.noiseSteps,
        sampler: opts.sampler,
        steps: opts.steps,
        seed: opts.seed,
        lpips: lpipsModule,
        baseline: opts.baseline,
        chunk: opts.chunk,
        precision: opts.precision,
        onProgress: (p) => {
          if (p.imagesDone === p.images) show(++done, `${p.denoiser} t0=${p.noiseStep}`);
        },
      });
      images.dispose();
      await emit(denoiseStudyReport(study), opts);
    } finally {
      denoisers.forEach((d) => d.denoiser.dispose());
      lpipsModule?.dispose();
    }
  });
}

interface EfficiencyCliOptions extends OutputOptions, Pick<ReverseFlagValues, 'sampler' | 'steps' | 'precision'> {
  preset: string[];
  checkpoint: string[];
  batch: number;
  repeats: number;
}

function efficiencyCommand(): Command {
  const command = new Command('efficiency')
    .description('the paper’s efficiency table: params, GFLOPs, memory, seconds per sample at each model’s steps')
    .option('--preset <name>', 'a model preset, untrained weights (repeat for several)', collect, [])
    .option('--checkpoint <name=dir>', 'a checkpoint, with its config’s sampler and steps (repeat)', collect, []);
  reverseFlags(command, ['sampler', 'steps', 'precision'], {
    scope: 'override every model’s ',
    descriptions: {
      sampler: `sampler: ${alternatives(SAMPLERS)}`,
      steps: 'reverse step count',
      precision: `precision: ${alternatives(PRECISIONS)}`,
    },
    fallbacks: { ...checkpointFallbacks(), precision: 'their own' },
  })
    .option('--batch <n>', 'images per timing run', count('--batch'), 4)
    .option('--repeats <n>', 'timing rounds, each running every model in turn (median kept)', count('--repeats'), 1);
  return withOutput(command).action(async (opts: EfficiencyCliOptions) => {
    if (opts.preset.length + opts.checkpoint.length === 0) {
      throw new MissingUError('eval efficiency needs at least one --preset NAME or --checkpoint NAME=DIR');
    }
    const entries: EfficiencyEntry[] = [];
    try {
      for (const preset of opts.preset) {
        entries.push({
          name: preset,
          model: models.create({ preset: preset as ModelPreset, seed: 0 }),
          sampler: opts.sampler,
          steps: opts.steps,
        });
      }
      for (const spec of opts.checkpoint) {
        const { name, file } = named(spec);
        const { denoiser, diffusion } = loadDenoiser(file);
        entries.push({ name, model: denoiser, diffusion, sampler: opts.sampler, steps: opts.steps });
      }
      const rows = await efficiency(entries, { batch: opts.batch, repeats: opts.repeats, precision: opts.precision });
      const runtime = info();
      await emit(efficiencyReport(rows, { torch: runtime.torch, threads: runtime.threads, cuda: runtime.cuda }), opts);
    } finally {
      entries.forEach((e) => e.model.dispose());
    }
  });
}

export function evalCommand(): Command {
  return new Command('eval')
    .description(
      'evaluate: ssim, psnr, lpips, fid, fid-steps, fid-spread, denoise-study, efficiency, digits (JSON, Markdown and plots)',
    )
    .addCommand(pairCommand('ssim', 'SSIM per image (Gaussian window 11, sigma 1.5, as scikit-image)'))
    .addCommand(pairCommand('psnr', 'PSNR per image, in dB'))
    .addCommand(pairCommand('lpips', 'LPIPS v0.1 per image, with a TorchScript backbone (docs/lpips.md)'))
    .addCommand(fidCommand())
    .addCommand(fidStepsCommand())
    .addCommand(fidSpreadCommand())
    .addCommand(denoiseStudyCommand())
    .addCommand(efficiencyCommand())
    .addCommand(digitsCommand());
}
