import { MissingUError } from '../errors';
import type { StoredTensor } from '../io/safetensors';
import { native, type NativeTensor, type TorchValue } from '../native';

/*
 * What the official cDDPM Trainer saves (denoising_diffusion_pytorch Trainer.save):
 *   torch.save({'step', 'model', 'opt', 'ema', 'scaler', 'version'}, 'model-N.pt')
 * 'model' is GaussianDiffusion.state_dict(): the network under 'model.', the schedule's buffers
 * (betas, alphas_cumprod, loss_weight, ...) at the top; 'ema' is ema_pytorch's EMA.state_dict(): the
 * averaged GaussianDiffusion under 'ema_model.' (and, in newer ema_pytorch, the online one under
 * 'online_model.'); 'opt' is Adam.state_dict(), its state keyed by parameter index.
 */

/** The parts of an official Trainer file missing-u uses, as plain arrays. */
export interface OfficialFile {
  step: number;
  /** The online network's tensors, by their name in the network (the 'model.' prefix removed), in file order. */
  online: Map<string, StoredTensor>;
  /** The EMA network's tensors, named the same way. */
  ema: Map<string, StoredTensor>;
  /** GaussianDiffusion's buffers (betas, alphas_cumprod, loss_weight, ...), by name. */
  buffers: Map<string, StoredTensor>;
  /** Adam: the moments by parameter index (the order of the network's parameters), and its settings. */
  adam?: {
    moments: Map<number, { expAvg: StoredTensor; expAvgSq: StoredTensor }>;
    params: number[];
    lr?: number;
    betas?: [number, number];
  };
  version?: string;
}

type Dict = { [key: string]: TorchValue };

function isTensor(value: TorchValue | undefined): value is NativeTensor {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'toFloat32Array' in value;
}

function isDict(value: TorchValue | undefined): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isTensor(value);
}

function stored(t: NativeTensor): StoredTensor {
  return { shape: [...t.shape], data: t.toFloat32Array() };
}

function disposeAll(value: TorchValue): void {
  if (isTensor(value)) value.dispose();
  else if (Array.isArray(value)) value.forEach(disposeAll);
  else if (isDict(value)) Object.values(value).forEach(disposeAll);
}

/** The tensors of `dict` under `prefix`, the prefix removed, in file order. */
function underPrefix(dict: Dict, prefix: string): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const [key, value] of Object.entries(dict)) {
    if (key.startsWith(prefix) && isTensor(value)) out.set(key.slice(prefix.length), stored(value));
  }
  return out;
}

const named = (label: (name: string) => string, tensors: Map<string, StoredTensor>): Array<[string, StoredTensor]> =>
  [...tensors].map(([name, t]) => [label(name), t]);

/** NaN or Inf weights would be imported and refused only when the checkpoint is loaded: refuse them here. */
function requireFinite(file: string, tensors: Array<[string, StoredTensor]>): void {
  const bad = tensors.find(([, t]) => !t.data.every(Number.isFinite));
  if (bad) {
    throw new MissingUError(
      `${file}: tensor ${bad[0]} holds NaN or Inf values: the file is corrupt or the run diverged`,
      { code: 'numeric' },
    );
  }
}

function notOfficial(file: string, why: string): MissingUError {
  return new MissingUError(
    `${file} is not an official cDDPM Trainer checkpoint (Trainer.save writes a dict of step, model, opt, ema, ` +
      `scaler and version): ${why}`,
    { code: 'format' },
  );
}

function readAdam(opt: TorchValue | undefined): OfficialFile['adam'] {
  if (!isDict(opt) || !isDict(opt.state) || !Array.isArray(opt.param_groups)) return undefined;
  const group = opt.param_groups[0];
  if (!isDict(group) || !Array.isArray(group.params)) return undefined;
  const moments = new Map<number, { expAvg: StoredTensor; expAvgSq: StoredTensor }>();
  for (const [index, entry] of Object.entries(opt.state)) {
    if (isDict(entry) && isTensor(entry.exp_avg) && isTensor(entry.exp_avg_sq)) {
      moments.set(Number(index), { expAvg: stored(entry.exp_avg), expAvgSq: stored(entry.exp_avg_sq) });
    }
  }
  const betas = group.betas;
  return {
    moments,
    params: group.params.filter((p): p is number => typeof p === 'number'),
    lr: typeof group.lr === 'number' ? group.lr : undefined,
    betas:
      Array.isArray(betas) && typeof betas[0] === 'number' && typeof betas[1] === 'number'
        ? [betas[0], betas[1]]
        : undefined,
  };
}

/**
 * Reads an official Trainer file with libtorch's own unpickler (no Python; only tensors, dicts,
 * lists, numbers and strings are accepted). A file of another kind is a MissingUError (code
 * 'format') saying what is missing; an unreadable one names the file (code 'file').
 */
export async function readOfficialFile(file: string): Promise<OfficialFile> {
  const root = await native.torchLoad(file);
  try {
    if (!isDict(root)) throw notOfficial(file, 'its top-level object is not a dict');
    for (const key of ['model', 'ema']) {
      if (!isDict(root[key])) throw notOfficial(file, `it has no '${key}' state dict`);
    }
    const model = root.model as Dict;
    const ema = root.ema as Dict;
    const online = underPrefix(model, 'model.');
    const averaged = underPrefix(ema, 'ema_model.model.');
    if (online.size === 0)
      throw notOfficial(file, "its 'model' holds no tensor under 'model.' (GaussianDiffusion's network)");
    if (averaged.size === 0) {
      throw notOfficial(file, "its 'ema' holds no tensor under 'ema_model.model.' (ema_pytorch's averaged network)");
    }
    const buffers = new Map<string, StoredTensor>();
    for (const [key, value] of Object.entries(model)) {
      if (!key.startsWith('model.') && isTensor(value)) buffers.set(key, stored(value));
    }
    const adam = readAdam(root.opt);
    requireFinite(file, [
      ...named((name) => `model['model.${name}']`, online),
      ...named((name) => `ema['ema_model.model.${name}']`, averaged),
      ...named((name) => `model['${name}']`, buffers),
      ...[...(adam?.moments ?? [])].flatMap(([index, m]): Array<[string, StoredTensor]> => [
        [`opt['state'][${index}]['exp_avg']`, m.expAvg],
        [`opt['state'][${index}]['exp_avg_sq']`, m.expAvgSq],
      ]),
    ]);
    return {
      step: typeof root.step === 'number' ? root.step : 0,
      online,
      ema: averaged,
      buffers,
      adam,
      version: typeof root.version === 'string' ? root.version : undefined,
    };
  } finally {
    disposeAll(root);
  }
}
