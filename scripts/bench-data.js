#!/usr/bin/env node
'use strict';
// The data pipeline's benchmark (issue 23): `node scripts/bench-data.js [--images 20000] [--dir .bench/data]`.
// Makes a synthetic folder of CelebA-sized JPEGs (178x218) once, then in one run and one process at a time:
//   - `data prepare` at 64 px against a plain sequential sharp decode-and-resize loop over the same files
//     (images/s, peak RSS of each),
//   - training from the prepared set: the steps' wait for data as a share of step time for cunet-mnist at
//     batch 64 (28 px, fast steps: the hardest case for a loader) and cunet-paper at 64 px,
//   - peak RSS of the same training run on the whole set and on its first 1,000 images.
// Prints one JSON object. Needs `npm run build:ts` (it runs dist/). Run it alone: it measures time.

const { Buffer } = require('node:buffer');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'dist', 'lib');

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

// Peak RSS of this process since it started: VmHWM (ru_maxrss would carry the parent's size across exec).
const maxRssMb = () =>
  Math.round(Number(/VmHWM:\s*(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024);

/** Runs this script as `--child <task> <json>` in a fresh process and returns what it printed (JSON). */
function child(task, args) {
  const run = spawnSync(
    process.execPath,
    [path.join(__dirname, 'bench-data.js'), '--child', task, JSON.stringify(args)],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  if (run.status !== 0) throw new Error(`bench-data: ${task} failed (exit ${run.status})`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

async function makeFolder(dir, count) {
  const sharp = require('sharp');
  fs.mkdirSync(dir, { recursive: true });
  const existing = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).length;
  const width = 178;
  const height = 218;
  let state = 1;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) >> 16) & 255;
  for (let i = existing; i < count; i++) {
    // Smooth colour fields with a little noise: JPEG sizes near real photos' (about 8-10 KB).
    const [r, g, b, phase] = [next(), next(), next(), next() / 40];
    const pixels = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const wave = 60 * Math.sin(x / 17 + phase) * Math.cos(y / 23 - phase);
        const noise = (next() & 31) - 16;
        const at = (y * width + x) * 3;
        pixels[at] = Math.max(0, Math.min(255, r + wave + noise));
        pixels[at + 1] = Math.max(0, Math.min(255, g - wave + noise));
        pixels[at + 2] = Math.max(0, Math.min(255, b + wave / 2 + noise));
      }
    }
    await sharp(pixels, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(path.join(dir, `${String(i).padStart(6, '0')}.jpg`));
  }
}

const tasks = {
  /** `data prepare` of the folder, timed. */
  async prepare({ folder, out, limit }) {
    const { data } = require(LIB);
    fs.rmSync(out, { recursive: true, force: true });
    const started = process.hrtime.bigint();
    const result = await data.prepare(folder, { out, imageSize: 64, channels: 3, resize: 'squash', limit });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { images: result.manifest.count, seconds, maxRssMb: maxRssMb() };
  },
  /** The plain loop: read, decode, resize and convert each file in turn, keeping nothing. */
  async sequential({ folder }) {
    const sharp = require('sharp');
    const files = fs.readdirSync(folder).filter((f) => f.endsWith('.jpg'));
    const started = process.hrtime.bigint();
    for (const file of files) {
      const bytes = fs.readFileSync(path.join(folder, file));
      await sharp(bytes).resize(64, 64, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { images: files.length, seconds, maxRssMb: maxRssMb() };
  },
  /** A short training run from a prepared folder: steps/s, data wait and peak RSS. */
  async train({ prepared, preset, batchSize, steps, precision }) {
    const { train } = require(LIB);
    let rate = 0;
    const result = await train(
      {
        model: { preset },
        data: { source: 'prepared', path: prepared, horizontalFlip: true },
        train: { steps, batchSize, seed: 0, precision },
      },
      { onProgress: (p) => (rate = p.stepsPerSecond) },
    );
    result.model.dispose();
    result.ema.dispose();
    // The training loop's own time (the native rate: steps over the seconds since the first step began).
    return { steps, seconds: steps / rate, dataWaitSeconds: result.dataWaitSeconds, maxRssMb: maxRssMb() };
  },
};

async function main() {
  if (process.argv[2] === '--child') {
    const out = await tasks[process.argv[3]](JSON.parse(process.argv[4]));
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const count = Number(option('--images', '20000'));
  const dir = path.resolve(option('--dir', path.join(ROOT, '.bench', 'data')));
  const folder = path.join(dir, `celeba-synthetic-${count}`);
  process.stderr.write(`bench-data: making ${count} synthetic 178x218 JPEGs in ${folder} (once)\n`);
  await makeFolder(folder, count);

  process.stderr.write('bench-data: data prepare, then the sequential loop\n');
  const whole = path.join(dir, 'prepared-64');
  const prepare = child('prepare', { folder, out: whole });
  const sequential = child('sequential', { folder });
  const small = path.join(dir, 'prepared-64-first-1000');
  child('prepare', { folder, out: small, limit: 1000 });
  const mnist = path.join(dir, 'prepared-mnist');
  if (!fs.existsSync(path.join(mnist, 'manifest.json'))) {
    const { data } = require(LIB);
    await data.prepare('mnist-package', { out: mnist });
  }

  process.stderr.write('bench-data: training from the prepared sets\n');
  const share = (run) => run.dataWaitSeconds / run.seconds;
  const mnistRun = child('train', {
    prepared: mnist,
    preset: 'cunet-mnist',
    batchSize: 64,
    steps: 40,
    precision: 'fp32',
  });
  const paperRun = { preset: 'cunet-paper', batchSize: 8, steps: 8, precision: 'bf16' };
  const paperWhole = child('train', { prepared: whole, ...paperRun });
  const paperSmall = child('train', { prepared: small, ...paperRun });

  const report = {
    machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model },
    prepare: {
      images: prepare.images,
      imagesPerSecond: prepare.images / prepare.seconds,
      sequentialImagesPerSecond: sequential.images / sequential.seconds,
      speedup: sequential.seconds / prepare.seconds,
      peakRssMb: prepare.maxRssMb,
      sequentialPeakRssMb: sequential.maxRssMb,
    },
    training: {
      cunetMnistBatch64: { ...mnistRun, dataWaitShare: share(mnistRun) },
      cunetPaper64px: { ...paperWhole, dataWaitShare: share(paperWhole) },
      peakRssMb: { wholeSet: paperWhole.maxRssMb, first1000: paperSmall.maxRssMb },
      rssGrowthMb: paperWhole.maxRssMb - paperSmall.maxRssMb,
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench-data: ${err.message}\n`);
  process.exit(1);
});
