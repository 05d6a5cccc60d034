// Protocol-2 pickles as torch.save and torch.jit.save write them: walked instruction by instruction,
// their tensors located, and instructions encoded, so tests can take a real file's pickle apart and
// write crafted ones.

/** One instruction: its opcode and its bytes [start, end). */
export interface Op {
  code: string;
  start: number;
  end: number;
}

const ARGUMENT_BYTES: Record<string, number> = { K: 1, h: 1, q: 1, '\x80': 1, M: 2, J: 4, j: 4, r: 4, G: 8 };
const NO_ARGUMENT = new Set('(.012NQRabd}el]ost)u\x81\x85\x86\x87\x88\x89');

export function pickleOps(pickle: Buffer): Op[] {
  const ops: Op[] = [];
  let at = 0;
  const lineEnd = (from: number) => pickle.indexOf(0x0a, from) + 1;
  while (at < pickle.length) {
    const code = String.fromCharCode(pickle[at]);
    let end: number;
    if (NO_ARGUMENT.has(code)) end = at + 1;
    else if (code in ARGUMENT_BYTES) end = at + 1 + ARGUMENT_BYTES[code];
    else if (code === 'X' || code === 'B' || code === 'T') end = at + 5 + pickle.readUInt32LE(at + 1);
    else if (code === '\x8a' || code === 'U' || code === 'C') end = at + 2 + pickle[at + 1];
    else if (code === 'c') end = lineEnd(lineEnd(at));
    else if ('FILPSVgp'.includes(code)) end = lineEnd(at);
    else throw new Error(`opcode 0x${pickle[at].toString(16)} at ${at} is not one torch writes`);
    ops.push({ code, start: at, end });
    at = end;
  }
  return ops;
}

const isPut = (op: Op) => op.code === 'q' || op.code === 'r';

/** A tensor built by _rebuild_tensor_v2 over a persistent storage id, as the spans of its parts. */
export interface TensorSite {
  key: string;
  dtype: string;
  numel: bigint;
  spans: Record<'dtype' | 'key' | 'numel' | 'offset' | 'sizes' | 'strides', [number, number]>;
}

function intOf(pickle: Buffer, op: Op): bigint {
  switch (op.code) {
    case 'K':
      return BigInt(pickle[op.start + 1]);
    case 'M':
      return BigInt(pickle.readUInt16LE(op.start + 1));
    case 'J':
      return BigInt(pickle.readInt32LE(op.start + 1));
    default:
      return pickle.readBigInt64LE(op.start + 2);
  }
}

/** Every tensor of a pickle torch wrote: ('storage', dtype, key, location, numel) BINPERSID, offset, sizes, strides. */
export function tensorSites(pickle: Buffer): TensorSite[] {
  const ops = pickleOps(pickle);
  const memo = new Map<number, Op>();
  ops.forEach((op, i) => {
    if (isPut(op)) memo.set(op.code === 'q' ? pickle[op.start + 1] : pickle.readUInt32LE(op.start + 1), ops[i - 1]);
  });
  const resolve = (op: Op): Op =>
    op.code === 'h' || op.code === 'j'
      ? (memo.get(op.code === 'h' ? pickle[op.start + 1] : pickle.readUInt32LE(op.start + 1)) as Op)
      : op;
  const skipPuts = (i: number, step: number) => {
    while (isPut(ops[i])) i += step;
    return i;
  };
  // A tuple of numbers starting at op i: its span and the index after it.
  const tupleAt = (i: number): [[number, number], number] => {
    let last = i;
    if (ops[i].code === '(') while (ops[last].code !== 't') last++;
    else if (ops[i].code !== ')' && ops[i].code !== 'h' && ops[i].code !== 'j')
      while (!'\x85\x86\x87'.includes(ops[last].code)) last++;
    return [[ops[i].start, ops[last].end], skipPuts(last + 1, 1)];
  };
  const sites: TensorSite[] = [];
  ops.forEach((op, q) => {
    if (op.code !== 'Q') return;
    const items: Op[] = [];
    for (let k = skipPuts(q - 1, -1) - 1; ops[k].code !== '('; k--) if (!isPut(ops[k])) items.unshift(ops[k]);
    const [, dtypeOp, keyOp, , numelOp] = items;
    const global = resolve(dtypeOp);
    const keyText = resolve(keyOp);
    const offsetAt = skipPuts(q + 1, 1);
    const offset = ops[offsetAt];
    const [sizes, next] = tupleAt(skipPuts(offsetAt + 1, 1));
    const [strides] = tupleAt(next);
    const span = (o: Op): [number, number] => [o.start, o.end];
    sites.push({
      key: pickle.toString('utf8', keyText.start + 5, keyText.end),
      dtype: pickle
        .toString('latin1', global.start + 1, global.end - 1)
        .split('\n')[1]
        .replace(/Storage$/, ''),
      numel: intOf(pickle, numelOp),
      spans: { dtype: span(dtypeOp), key: span(keyOp), numel: span(numelOp), offset: span(offset), sizes, strides },
    });
  });
  return sites;
}

// --- encoding --------------------------------------------------------------------------------------

export function pickleInt(value: bigint | number): Buffer {
  const n = BigInt(value);
  if (n >= 0n && n < 256n) return Buffer.from([0x4b, Number(n)]);
  const out = Buffer.alloc(n >= 0n && n < 65536n ? 3 : n >= -(2n ** 31n) && n < 2n ** 31n ? 5 : 10);
  if (out.length === 3) out.writeUInt16LE(Number(n), 1);
  if (out.length === 5) out.writeInt32LE(Number(n), 1);
  if (out.length === 10) out.writeBigInt64LE(BigInt.asIntN(64, n), 2);
  out[0] = out.length === 3 ? 0x4d : out.length === 5 ? 0x4a : 0x8a;
  if (out.length === 10) out[1] = 8;
  return out;
}

export const pickleTuple = (items: Array<bigint | number>): Buffer =>
  Buffer.concat([Buffer.from('('), ...items.map(pickleInt), Buffer.from('t')]);

export function pickleString(text: string): Buffer {
  const bytes = Buffer.from(text);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bytes.length);
  return Buffer.concat([Buffer.from('X'), length, bytes]);
}

export const pickleGlobal = (module: string, name: string): Buffer => Buffer.from(`c${module}\n${name}\n`, 'latin1');

/** `pickle` with each span [start, end) replaced by its bytes (spans must not overlap). */
export function editPickle(pickle: Buffer, edits: Array<{ span: [number, number]; bytes: Buffer }>): Buffer {
  const sorted = [...edits].sort((a, b) => a.span[0] - b.span[0]);
  const parts: Buffer[] = [];
  let at = 0;
  for (const { span, bytes } of sorted) {
    if (span[0] < at) continue; // overlapping: the first edit wins
    parts.push(pickle.subarray(at, span[0]), bytes);
    at = span[1];
  }
  parts.push(pickle.subarray(at));
  return Buffer.concat(parts);
}

// --- torch.save --------------------------------------------------------------------------------------

/** A tensor as torch.save pickles it: _rebuild_tensor_v2 over ('storage', torch.<dtype>Storage, key, 'cpu', numel). */
export interface PickledTensor {
  key: string;
  dtype: string;
  numel: number;
  offset: number;
  sizes: number[];
  strides: number[];
}

const ORDERED_DICT = Buffer.concat([pickleGlobal('collections', 'OrderedDict'), Buffer.from(')R')]);

function pickledTensor(t: PickledTensor): Buffer {
  return Buffer.concat([
    pickleGlobal('torch._utils', '_rebuild_tensor_v2'),
    Buffer.from('(('),
    pickleString('storage'),
    pickleGlobal('torch', `${t.dtype}Storage`),
    pickleString(t.key),
    pickleString('cpu'),
    pickleInt(t.numel),
    Buffer.from('tQ'),
    pickleInt(t.offset),
    pickleTuple(t.sizes),
    pickleTuple(t.strides),
    Buffer.from('\x89', 'latin1'),
    ORDERED_DICT,
    Buffer.from('tR'),
  ]);
}

function stateDict(tensors: Record<string, PickledTensor>): Buffer {
  const items = Object.entries(tensors).flatMap(([name, t]) => [pickleString(name), pickledTensor(t)]);
  return Buffer.concat([ORDERED_DICT, Buffer.from('('), ...items, Buffer.from('u')]);
}

/** The pickle of torch.save({'step': step, 'model': OrderedDict, 'ema': OrderedDict}), the official Trainer's layout. */
export function trainerPickle(
  step: number,
  model: Record<string, PickledTensor>,
  ema: Record<string, PickledTensor>,
): Buffer {
  return Buffer.concat([
    Buffer.from('\x80\x02}(', 'latin1'),
    pickleString('step'),
    pickleInt(step),
    pickleString('model'),
    stateDict(model),
    pickleString('ema'),
    stateDict(ema),
    Buffer.from('u.'),
  ]);
}
