// Crafted PyTorch zip archives: a real file's tensors with their storage sizes, dtypes, offsets,
// sizes, strides, storage keys or data records changed, or its pickle damaged; a small Trainer file.
import {
  editPickle,
  pickleGlobal,
  pickleInt,
  pickleString,
  pickleTuple,
  tensorSites,
  trainerPickle,
  type PickledTensor,
  type TensorSite,
} from './torch-pickle';

type Edit = { span: [number, number]; bytes: Buffer };

const DTYPES = ['Double', 'Half', 'BFloat16', 'Long', 'Int', 'Byte', 'Bool', 'ComplexDouble', 'ComplexHalf'];
const FOREIGN_DTYPES = ['QInt8', 'QUInt8', 'QInt32', 'Float8_e4m3fn', 'Untyped', 'Foo'];

export class ArchiveMutator {
  private readonly pickle: Buffer;
  private readonly sites: TensorSite[];

  /** `records` of a real archive; its pickle `pickleName` keeps its storages under `folder` (data/). */
  constructor(
    private readonly random: () => number,
    private readonly records: Map<string, Buffer>,
    private readonly pickleName: string,
    private readonly folder: string,
  ) {
    this.pickle = records.get(pickleName) as Buffer;
    this.sites = tensorSites(this.pickle);
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** One change to a tensor's pickle: its numel, dtype, storage key, offset, sizes or strides. */
  private tensorEdit(site: TensorSite): Edit {
    const n = site.numel;
    const huge = [2n ** 31n, 2n ** 40n, 2n ** 62n, 2n ** 63n - 1n];
    switch (this.int(6)) {
      case 0:
        return {
          span: site.spans.numel,
          bytes: pickleInt(
            this.pick([n + 1n, n * 2n, 2n ** 28n, ...huge, -1n, -(2n ** 31n), 0n, n > 0n ? n - 1n : 0n]),
          ),
        };
      case 1:
        return {
          span: site.spans.dtype,
          bytes: pickleGlobal('torch', `${this.pick(this.random() < 0.7 ? DTYPES : FOREIGN_DTYPES)}Storage`),
        };
      case 2:
        return {
          span: site.spans.key,
          bytes: pickleString(this.pick(['99999', '', '../data.pkl', this.pick(this.sites).key])),
        };
      case 3:
        return {
          span: site.spans.offset,
          bytes: pickleInt(this.pick([1n, n - 1n, n, n + 1n, ...huge, -1n, -(2n ** 62n)])),
        };
      case 4: {
        const sizes = [[n + 1n], [n], [n, 2n], [2n ** 31n, 2n ** 31n], [-1n], [0n], [], [1n, n + 1n], [2n ** 62n, 4n]];
        return { span: site.spans.sizes, bytes: pickleTuple(this.pick(sizes)) };
      }
      default: {
        const strides = [[1n], [0n], [2n], [-1n], [n], [2n ** 62n], [1n, 1n], [], [n, 1n]];
        return { span: site.spans.strides, bytes: pickleTuple(this.pick(strides)) };
      }
    }
  }

  /** A storage's data record truncated, emptied or gone. */
  private recordEdit(out: Map<string, Buffer>): void {
    const name = this.folder + this.pick(this.sites).key;
    const record = out.get(name);
    if (!record || this.random() < 0.2) out.delete(name);
    else out.set(name, record.subarray(0, this.int(record.length)));
  }

  /** The archive's records with one to three changes. */
  mutated(): Map<string, Buffer> {
    const out = new Map(this.records);
    const edits: Edit[] = [];
    let damage = false;
    for (let i = 1 + this.int(3); i > 0; i--) {
      const kind = this.random();
      if (kind < 0.8) edits.push(this.tensorEdit(this.pick(this.sites)));
      else if (kind < 0.9) this.recordEdit(out);
      else damage = true;
    }
    const pickle = editPickle(this.pickle, edits);
    out.set(this.pickleName, damage ? this.damaged(pickle) : pickle);
    return out;
  }

  /** Bit flips or a cut anywhere in the pickle. */
  private damaged(pickle: Buffer): Buffer {
    if (this.random() < 0.3) return pickle.subarray(0, this.int(pickle.length));
    const out = Buffer.from(pickle);
    for (let i = 1 + this.int(3); i > 0; i--) out[this.int(out.length)] ^= 1 << this.int(8);
    return out;
  }
}

/**
 * `records` with the first tensor's storage and sizes claiming `numel` elements over its unchanged data
 * record: the crafted file that made libtorch read far past the record.
 */
export function overclaimed(records: Map<string, Buffer>, pickleName: string, numel: number): Map<string, Buffer> {
  const pickle = records.get(pickleName) as Buffer;
  const [site] = tensorSites(pickle);
  const edited = editPickle(pickle, [
    { span: site.spans.numel, bytes: pickleInt(numel) },
    { span: site.spans.sizes, bytes: pickleTuple([numel]) },
    { span: site.spans.strides, bytes: pickleTuple([1]) },
  ]);
  return new Map(records).set(pickleName, edited);
}

const pickled = (key: string, dtype: string, numel: number, sizes: number[], strides: number[], offset = 0) =>
  ({ key, dtype, numel, offset, sizes, strides }) satisfies PickledTensor;

/**
 * A small official Trainer file (torch.save of step, model and ema) in the archive layout of the real
 * fixture official_cunet.pt, its data taken from that file: float, long and bool storages, a view
 * with an offset, and a storage shared by two tensors (the second a transposed view). `model`
 * replaces or adds tensors of the 'model' state dict.
 */
export function smallTrainerArchive(
  official: Map<string, Buffer>,
  model: Record<string, PickledTensor> = {},
): Map<string, Buffer> {
  const online = {
    'model.w': pickled('0', 'Float', 6, [2, 3], [3, 1]),
    'model.b': pickled('1', 'Float', 4, [3], [1], 1),
    betas: pickled('2', 'Float', 5, [5], [1]),
    steps: pickled('3', 'Long', 2, [2], [1]),
    ...model,
  };
  const ema = {
    'ema_model.model.w': pickled('0', 'Float', 6, [3, 2], [1, 3]),
    'ema_model.model.m': pickled('4', 'Bool', 3, [3], [1]),
  };
  const data = official.get('official_cunet/data/0') as Buffer;
  const out = new Map<string, Buffer>([['official_cunet/data.pkl', trainerPickle(3, online, ema)]]);
  for (const [name, bytes] of official) {
    if (!name.startsWith('official_cunet/data')) out.set(name, bytes);
  }
  [24, 16, 20, 16, 3].forEach((size, key) => out.set(`official_cunet/data/${key}`, data.subarray(0, size)));
  return out;
}
