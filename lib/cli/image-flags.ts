import type { Command } from 'commander';

import { MissingUError } from '../errors';
import { imageFormatFor } from '../report/image-format';
import { MIN_READABLE_WIDTH } from '../report/image-grid';
import { positiveCount } from './parse';

/** A commander parser for an image file option: its extension must be one imageFormatFor accepts. */
export const imageFile = (name: string) => (v: string) => {
  try {
    imageFormatFor(v);
  } catch (err) {
    throw new MissingUError(`${name}: ${(err as MissingUError).message}`);
  }
  return v;
};

/** Adds --scale N to a command that writes an image grid (ImageGridOptions.scale). */
export function scaleFlag(command: Command): Command {
  return command.option(
    '--scale <n>',
    `write each pixel of the grid as n x n pixels (default: the smallest n that makes the grid at least ${MIN_READABLE_WIDTH} px wide)`,
    positiveCount('--scale'),
  );
}
