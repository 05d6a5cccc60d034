import fs from 'node:fs';
import path from 'node:path';

import { type Device, deviceOrDefault } from './device';
import { refuseIfNotRegular } from './io/bounded-read';
import { readJsonFile } from './io/json-file';
import { native, type NativeScriptModule } from './native';
import { parseDiffusionSettings, type DiffusionOptions } from './schemas/diffusion-options';
import type { Tensor } from './tensor';

/** A TorchScript module (torch.jit.save output). forward runs off the event loop. */
export interface ScriptModule extends NativeScriptModule {
  /** Runs forward on a native thread; inputs are checked against the module's forward signature. */
  forward(...inputs: Array<Tensor | number | boolean>): Promise<Tensor>;
  /** Runs another method of the module (e.g. the MNIST extractor's `logits`), checked as forward is. */
  call(method: string, ...inputs: Array<Tensor | number | boolean>): Promise<Tensor>;
  /**
   * How the denoiser was trained, when known (jit.load's `diffusion`, or `<name>.diffusion.json`
   * beside `<name>.pt`): sample, denoise and eval use it unless told otherwise. Assignable.
   */
  diffusion?: DiffusionOptions;
  [Symbol.dispose](): void;
}

export interface JitLoadOptions {
  /** Where to place the module's parameters; defaults to 'cpu'. */
  device?: Device;
  /**
   * How the module (a denoiser) was trained. Each setting given here wins over the one in
   * `<name>.diffusion.json` beside the file (e.g. {"objective": "v", "schedule": "sigmoid"}).
   */
  diffusion?: DiffusionOptions;
}

/** `<dir>/<name>.diffusion.json` for `<dir>/<name>.pt`: where a TorchScript denoiser's settings may be kept. */
export function diffusionFileFor(file: string): string {
  const { dir, name } = path.parse(file);
  return path.join(dir, `${name}.diffusion.json`);
}

function withSettings(module: NativeScriptModule, file: string, opts: JitLoadOptions): ScriptModule {
  const sidecar = diffusionFileFor(file);
  const stored = fs.existsSync(sidecar)
    ? parseDiffusionSettings(readJsonFile(sidecar, 'diffusion settings file'), sidecar)
    : {};
  const given = opts.diffusion ? parseDiffusionSettings(opts.diffusion, 'jit.load diffusion') : {};
  const settings: DiffusionOptions = { ...stored, ...given };
  const out = module as ScriptModule;
  if (Object.keys(settings).length > 0) out.diffusion = settings;
  return out;
}

export const jit = {
  /**
   * Loads a file written by torch.jit.save; a missing or corrupt file is a MissingUError that names
   * the file and the cause (code 'file' or 'format'). The event loop waits for the read: see loadAsync.
   */
  load(file: string, opts: JitLoadOptions = {}): ScriptModule {
    refuseIfNotRegular(file, 'TorchScript file');
    const device = deviceOrDefault(opts.device, 'jit.load()');
    return withSettings(native.jitLoad(path.resolve(file), device), file, opts);
  },

  /** jit.load reading and deserialising the file on a native thread, so the event loop goes on. */
  async loadAsync(file: string, opts: JitLoadOptions = {}): Promise<ScriptModule> {
    refuseIfNotRegular(file, 'TorchScript file');
    const device = deviceOrDefault(opts.device, 'jit.loadAsync()');
    return withSettings(await native.jitLoadAsync(path.resolve(file), device), file, opts);
  },
};
