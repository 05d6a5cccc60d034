import type { Command } from 'commander';

/** Adds "Example:" and its command lines after a command's --help. */
export function withExample(command: Command, ...lines: string[]): Command {
  return command.addHelpText('after', `\nExample:\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
}

// One example per command (by its path) that does not add its own with withExample.
const EXAMPLES: Record<string, string> = {
  'missing-u': 'missing-u train --config mnist-cunet --out runs/mnist-cunet',
  info: 'missing-u info --json',
  train: 'missing-u train --config mnist-cunet --out runs/mnist-cunet --checkpoint-every 200',
  configs: 'missing-u configs',
  inspect: 'missing-u inspect --preset cunet-paper --image-size 64',
  eval: 'missing-u eval fid --real mnist --fake runs/mnist-cunet',
  'eval ssim': 'missing-u eval ssim --a real.safetensors --b samples.safetensors',
  'eval psnr': 'missing-u eval psnr --a real.safetensors --b samples.safetensors',
  'eval lpips': 'missing-u eval lpips --a real.safetensors --b samples.safetensors --lpips lpips-alex.pt',
  'eval fid': 'missing-u eval fid --real mnist --fake runs/mnist-cunet --n 1000',
  'eval fid-steps':
    'missing-u eval fid-steps --checkpoint cunet=runs/mnist-cunet --steps 5,10,20,50,100 --n 2000 --report report/',
  'eval fid-spread': 'missing-u eval fid-spread seed0.json seed1.json seed2.json --timing timing.json --report report/',
  'eval denoise-study': 'missing-u eval denoise-study --checkpoint cunet=runs/mnist-cunet --n 16 --report report/',
  'eval efficiency': 'missing-u eval efficiency --checkpoint cunet=runs/mnist-cunet --report report/',
  bench: 'missing-u bench --quick',
};

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.length > 1 ? names.slice(1).join(' ') : names[0];
}

/** Gives every command below `root` (and root) its example from EXAMPLES. */
export function addExamples(root: Command): void {
  const example = EXAMPLES[commandPath(root)];
  if (example) withExample(root, example);
  root.commands.forEach(addExamples);
}
