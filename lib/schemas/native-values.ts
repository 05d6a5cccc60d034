import { z } from 'zod';

import { lazyNative } from '../lazy-native';
import type { Tensor } from '../tensor';

/** A Tensor, checked against the addon's class (the addon loads at the first check, not at import). */
export const tensorValue = z.custom<Tensor>((value) => value instanceof lazyNative().Tensor, {
  message: 'must be a Tensor',
});

/** Whether `value` is a TorchScript module from jit.load (checked as a Tensor is). */
export function isScriptModule(value: unknown): boolean {
  return value instanceof lazyNative().ScriptModule;
}
