#!/usr/bin/env node
import { Command, CommanderError } from 'commander';

import { PACKAGE_VERSION } from '../package-root';
import { benchCommand } from './bench';
import { configsCommand } from './configs';
import { dataCommand } from './data';
import { denoiseCommand } from './denoise';
import { evalCommand } from './eval';
import { addExamples } from './help';
import { importOfficialCommand } from './import-official';
import { infoCommand } from './info';
import { inspectCommand } from './inspect';
import { guardOutputStreams, writeErr } from './output';
import { sampleCommand } from './sample';
import { trainCommand } from './train';

function program(): Command {
  const cli = new Command('missing-u')
    .description('Continuous-U-Net diffusion models on libtorch, from Node.js')
    .version(PACKAGE_VERSION)
    .option('--verbose', "also show libtorch's own log lines (the same as MISSING_U_VERBOSE=1)")
    .hook('preAction', (command) => {
      // Read by the addon when it loads (lazily, on first use), so set before any command runs.
      if (command.opts<{ verbose?: boolean }>().verbose) process.env.MISSING_U_VERBOSE = '1';
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  cli.addCommand(infoCommand());
  cli.addCommand(trainCommand());
  cli.addCommand(configsCommand());
  cli.addCommand(sampleCommand());
  cli.addCommand(denoiseCommand());
  cli.addCommand(inspectCommand());
  cli.addCommand(evalCommand());
  cli.addCommand(benchCommand());
  cli.addCommand(dataCommand());
  cli.addCommand(importOfficialCommand());
  addExamples(cli);
  return cli;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0; // a command may set it (train: 130 / 143)
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    writeErr(`missing-u: ${(err as Error).message}\n`);
    return 1;
  }
}

guardOutputStreams();
main(process.argv).then((code) => {
  process.exitCode = code;
});
