import { Command } from 'commander';

import { digitConfidence } from '../eval/digit-confidence';
import { loadImageSource } from '../eval/image-source';
import { withExample } from './help';
import { odeFlags, odeFromFlags, type OdeFlagValues } from './ode-flags';
import { positiveCount } from './parse';
import { progressPrinter } from './progress';
import { checkpointFallbacks, reverseFlags, type ReverseFlagValues } from './reverse-flags';

interface DigitsCliOptions extends Omit<ReverseFlagValues, 'device'>, OdeFlagValues {
  images: string;
  n: number;
  threshold: number;
  json?: boolean;
}

/** `eval digits`: the share of images the bundled MNIST classifier reads as a digit with p >= threshold. */
export function digitsCommand(): Command {
  const command = new Command('digits')
    .description('share of images the bundled MNIST classifier recognises as a digit with probability >= threshold')
    .requiredOption('--images <source>', 'a checkpoint folder (sampled), .safetensors, an image folder or mnist')
    .option('--n <n>', 'how many images (a checkpoint draws this many)', positiveCount('--n'), 256);
  reverseFlags(command, ['sampler', 'steps', 'spacing', 'eta', 'seed', 'precision'], {
    scope: 'for a checkpoint: ',
    descriptions: { seed: 'the sampling seed' },
    fallbacks: checkpointFallbacks(),
  });
  odeFlags(command)
    .option('--threshold <p>', 'the top-class probability that counts as a digit', Number, 0.9)
    .option('--json', 'print the result as JSON');
  withExample(command, 'missing-u eval digits --images runs/mnist-cunet --n 256');
  return command.action(async (opts: DigitsCliOptions) => {
    let show: ReturnType<typeof progressPrinter> | undefined;
    using images = await loadImageSource(opts.images, {
      n: opts.n,
      sampler: opts.sampler,
      steps: opts.steps,
      spacing: opts.spacing,
      eta: opts.eta,
      seed: opts.seed,
      ode: odeFromFlags(opts),
      precision: opts.precision,
      onProgress: (p) => (show ??= progressPrinter('sample', p.total, { every: 10 }))(p.step),
    });
    const result = await digitConfidence(images, { threshold: opts.threshold });
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ images: opts.images, ...result }, null, 2)}\n`
        : `${result.confident} of ${result.n} images (${(100 * result.share).toFixed(1)}%) read as a digit with ` +
            `p >= ${result.threshold}; mean top probability ${result.meanTopProbability.toFixed(3)}\n`,
    );
  });
}
