// The two test tiers (docs/testing.md). `npm test` (jest.config.js) runs every test file except these;
// `npm run test:slow` (jest.slow.config.js) runs exactly these. A file belongs here when its cost is
// what it proves: a build, an install, process groups, signals and kills, many processes, a fuzz
// corpus or a long training. Making such a test cheaper would weaken it, so it moves here instead.
const fs = require('node:fs');
const path = require('node:path');

const SLOW_TESTS = [
  'prebuild.test.ts', // a clean clone built from source
  'package.test.ts', // npm pack, then npm install of the tarball into a fresh project
  'examples.test.ts', // npm pack, a consumer project from npm, every example type-checked and run
  'torchrun.test.ts', // a real torchrun group, one worker killed and the group restarted
  'distributed.test.ts', // Gloo process groups on loopback, ranks killed mid-run
  'prepared-training.test.ts', // data-parallel training over a prepared dataset in two processes
  'durable-runs.test.ts', // kill -9 at 50 moments, signals during saves, a full tmpfs
  'prepare-cli.test.ts', // data prepare killed with -9 and SIGINT, then resumed
  'checkpoint-lock.test.ts', // three training processes on one folder, a stale lock taken over
  'cli-streams.test.ts', // training and sampling with their output pipes closed under them
  'fuzz.test.ts', // 11,000 mutated files and 5,000 crafted archives through the real loaders
  'eval.test.ts', // every eval command end to end from the CLI, 16 processes
  'train.test.ts', // 300 steps of cunet-mnist must lower the loss
  'precision.test.ts', // 2 x 120 steps of cunet-mnist, bf16 against fp32
  'checkpoint-folder.test.ts', // 13 CLI runs: training resumed and recovered from the command line
  'image-output.test.ts', // every image format and refusal through sample and denoise processes
  'inspect.test.ts', // inspect processes over a config, the committed checkpoints and a table of several
  'report-charts.test.ts', // eval processes with the chart packages hidden by a preload hook
];

for (const file of SLOW_TESTS) {
  if (!fs.existsSync(path.join(__dirname, file))) throw new Error(`test/tiers.js lists test/${file}, which is gone`);
}

module.exports = { SLOW_TESTS };
