import path from 'node:path';

import { type Device, deviceOrDefault } from './device';
import { refuseIfNotRegular } from './io/bounded-read';
import { native, type NativeScriptModule } from './native';
import type { Tensor } from './tensor';

/** A TorchScript module (torch.jit.save output). forward runs off the event loop. */
export interface ScriptModule extends NativeScriptModule {
  /** Runs forward on a native thread; inputs are checked against the module's forward signature. */
  forward(...inputs: Array<Tensor | number | boolean>): Promise<Tensor>;
  [Symbol.dispose](): void;
}

export interface JitLoadOptions {
  /** Where to place the module's parameters; defaults to 'cpu'. */
  device?: Device;
}

export const jit = {
  /** Loads a file written by torch.jit.save; a missing or corrupt file is an Error that names the file and the cause. */
  load(file: string, opts: JitLoadOptions = {}): ScriptModule {
    refuseIfNotRegular(file, 'TorchScript file');
    return native.jitLoad(path.resolve(file), deviceOrDefault(opts.device, 'jit.load()')) as ScriptModule;
  },
};
