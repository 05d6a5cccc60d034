import { Command } from 'commander';

import { bundledConfigs } from '../config/bundled-configs';
import { writeOut } from './output';

/** `missing-u configs`: the bundled training configs, one line each, as `--config NAME` takes them. */
export function configsCommand(): Command {
  return new Command('configs')
    .description('list the bundled training configs, which --config takes by name')
    .option('--json', 'print machine-readable JSON')
    .action((opts: { json?: boolean }) => {
      const configs = bundledConfigs();
      if (opts.json) {
        writeOut(`${JSON.stringify(configs, null, 2)}\n`);
        return;
      }
      const width = Math.max(...configs.map((c) => c.name.length));
      writeOut(`${configs.map((c) => `${c.name.padEnd(width)}  ${c.description}`).join('\n')}\n`);
    });
}
