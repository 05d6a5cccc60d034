import path from 'node:path';

import { Command } from 'commander';

import { benchDiffusion } from '../bench/diffusion-bench';
import { benchForward } from '../bench/model-bench';
import { benchGradientMemory, benchStageUpdate } from '../bench/ode-bench';
import { PACKAGE_ROOT } from '../package-root';
import { info } from '../runtime';

export function benchCommand(): Command {
  return new Command('bench')
    .description('measure the native kernels side by side (fused vs unfused, adjoint vs backprop memory)')
    .option('--json', 'print machine-readable JSON')
    .option('--quick', 'small sizes only (a smoke run)')
    .action(async (opts: { json?: boolean; quick?: boolean }) => {
      const sizes = opts.quick ? [1e4, 1e5] : [1e4, 1e5, 1e6, 1e7];
      const model = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'accel_net.pt');
      const report = {
        machine: { torch: info().torch, threads: info().threads, build: info().build.buildSystem },
        stageUpdate: await benchStageUpdate(sizes),
        gradientMemory: await benchGradientMemory(model, opts.quick ? [4] : [4, 16, 64]),
        forward: await benchForward(
          opts.quick
            ? ['cunet-mnist', 'unet-mnist']
            : ['cunet-paper', 'cunet', 'unet-paper', 'cunet-mnist', 'unet-mnist'],
          opts.quick ? [1] : [1, 8],
        ),
        diffusion: await benchDiffusion(
          ['cunet-mnist', 'unet-mnist'],
          opts.quick ? 5 : 30,
          opts.quick ? [{ sampler: 'ddim', steps: 10 }] : undefined,
        ),
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      console.table(report.stageUpdate);
      console.table(report.gradientMemory);
      console.table(report.forward);
      console.table(report.diffusion.training);
      console.table(report.diffusion.sampling);
    });
}
