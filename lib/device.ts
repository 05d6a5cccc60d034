import { MissingUError } from './errors';

/** Where tensors and modules live. 'auto' picks cuda:0 when CUDA is usable, else the CPU. */
export type Device = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

/**
 * The device to pass to native code: `cpu` when none is given. Spelling and availability are
 * checked natively, where the answer (is CUDA compiled in? how many devices?) is known.
 */
export function deviceOrDefault(device: Device | undefined, where: string): string {
  if (device === undefined) return 'cpu';
  if (typeof device !== 'string') {
    throw new MissingUError(`${where}: device must be a string such as 'cpu', 'cuda:0' or 'auto'`);
  }
  return device;
}
