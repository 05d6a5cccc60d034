import { Command } from 'commander';

import { info } from '../runtime';

function describe(): string {
  const i = info();
  const rows: Array<[string, string]> = [
    ['torch', i.torch],
    [
      'cuda',
      i.cuda
        ? `yes (${i.cudaDeviceCount} device(s))`
        : `no (${i.build.cuda === 'yes' ? 'compiled in, no device' : 'CPU-only build'})`,
    ],
    ['threads', String(i.threads)],
    ['nnpack', i.nnpack ? 'yes' : 'no (convolutions run on oneDNN)'],
    ...Object.entries(i.build).map(([key, value]): [string, string] => [`build.${key}`, value]),
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n');
}

export function infoCommand(): Command {
  return new Command('info')
    .description('print the libtorch version, CUDA availability, threads and build flags')
    .option('--json', 'print machine-readable JSON')
    .action((opts: { json?: boolean }) => {
      process.stdout.write(`${opts.json ? JSON.stringify(info(), null, 2) : describe()}\n`);
    });
}
