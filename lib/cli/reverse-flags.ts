import { Option, type Command } from 'commander';

import type { Device } from '../device';
import { PRECISIONS, SAMPLERS, SPACINGS } from '../schemas/names';
import type { Precision } from '../schemas/precision';
import { DEFAULT_REVERSE, type ReverseSettings } from '../schemas/reverse-defaults';
import { alternatives, count, oneOf, positiveCount } from './parse';

/** The reverse-process flags that sample, denoise and the eval commands share. */
export type ReverseFlag = 'sampler' | 'steps' | 'spacing' | 'eta' | 'seed' | 'precision' | 'device';

/** The values those flags give (each absent when left out and without a default). */
export interface ReverseFlagValues extends Partial<ReverseSettings> {
  precision?: Precision;
  device: Device;
}

/** --precision's description in the commands that run several denoisers. */
export const DENOISERS_PRECISION = `what the denoisers run in: ${alternatives(PRECISIONS)}`;

interface FlagSpec {
  flags: string;
  description: string;
  parse?: (value: string) => unknown;
  defaultValue?: unknown;
  /** What a flag left out means, unless the command says otherwise. */
  fallback?: string;
}

const FLAGS: Record<ReverseFlag, FlagSpec> = {
  sampler: { flags: '--sampler <name>', description: alternatives(SAMPLERS), parse: oneOf('--sampler', SAMPLERS) },
  steps: {
    flags: '--steps <n>',
    description: 'reverse steps, respaced when fewer than T',
    parse: positiveCount('--steps'),
  },
  spacing: {
    flags: '--spacing <name>',
    description: `which steps a respaced process visits: ${alternatives(SPACINGS)}`,
    parse: oneOf('--spacing', SPACINGS),
  },
  eta: { flags: '--eta <x>', description: 'DDIM noise, 0 deterministic', parse: Number },
  seed: { flags: '--seed <n>', description: 'seed of x_T and the sampler noise', parse: count('--seed') },
  precision: {
    flags: '--precision <p>',
    description: `what the network runs in: ${alternatives(PRECISIONS)}`,
    parse: oneOf('--precision', PRECISIONS),
    // A model's own precision: fp32 for checkpoints and TorchScript files.
    fallback: 'fp32',
  },
  device: { flags: '--device <device>', description: 'cpu, cuda, cuda:N or auto', defaultValue: 'cpu' },
};

export interface ReverseFlagOptions {
  /** Said before every description, such as 'for a checkpoint: '. */
  scope?: string;
  /** A description in place of the shared one, where the command gives the flag another meaning. */
  descriptions?: Partial<Record<ReverseFlag, string>>;
  /** Where a flag left out takes its value from, for the help: "(default: the checkpoint config’s)". */
  fallbacks?: Partial<Record<ReverseFlag, string>>;
  /** Values commander fills in for a flag left out (shown in the help as its default). */
  defaults?: Partial<Omit<ReverseFlagValues, 'device'>>;
}

/**
 * Where sampler, steps, eta and seed left out come from, for the help: the checkpoint's `sample`
 * section, else DEFAULT_REVERSE (steps at most `stepsLimit`, unless null: the description says it).
 */
export function checkpointFallbacks(stepsLimit: string | null = 'T'): Partial<Record<ReverseFlag, string>> {
  const { sampler, steps, spacing, eta, seed } = DEFAULT_REVERSE;
  const fromConfig = (value: unknown) => `the checkpoint config’s, else ${value}`;
  return {
    sampler: fromConfig(sampler),
    steps: stepsLimit === null ? fromConfig(steps) : `${fromConfig(steps)}; at most ${stepsLimit}`,
    spacing: fromConfig(spacing),
    eta: fromConfig(eta),
    seed: fromConfig(seed),
  };
}

/** Adds `flags` to `command` in that order: their parsers refuse any value but the names lib/schemas lists. */
export function reverseFlags(command: Command, flags: readonly ReverseFlag[], opts: ReverseFlagOptions = {}): Command {
  for (const flag of flags) {
    const spec = FLAGS[flag];
    const fallback = opts.fallbacks?.[flag] ?? spec.fallback;
    const description = `${opts.scope ?? ''}${opts.descriptions?.[flag] ?? spec.description}`;
    const option = new Option(spec.flags, fallback ? `${description} (default: ${fallback})` : description);
    if (spec.parse) option.argParser(spec.parse);
    const value = opts.defaults?.[flag as keyof ReverseFlagOptions['defaults']] ?? spec.defaultValue;
    if (value !== undefined) option.default(value);
    command.addOption(option);
  }
  return command;
}
