import fs from 'node:fs';
import path from 'node:path';

import { MissingUError } from '../../errors';
import { describeIoError } from '../../io/io-error';

// The on-disk format of LMDB (liblmdb's mdb.c), 64-bit little-endian builds. Data version 1 is what
// LMDB 0.9 writes (py-lmdb, Caffe, the LSUN exports); version 2 is LMDB 1.0's, which the npm package
// lmdb writes. They differ only in the page header: 16 bytes in v1, 24 in v2 (a txnid added), and in
// v2 a node's offset counts from the end of the header instead of the start of the page.
const MAGIC = 0xbeefc0de;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_META = 0x08;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const F_DUPDATA = 0x04;
const MDB_DUPSORT = 0x04;
const NODE_HEADER = 8;
const MAX_DEPTH = 64;

interface Layout {
  version: 1 | 2;
  header: number;
  flagsAt: number;
  lowerAt: number;
  /** Where node offsets count from. */
  base: number;
}

const LAYOUTS: Layout[] = [
  { version: 1, header: 16, flagsAt: 10, lowerAt: 12, base: 0 },
  { version: 2, header: 24, flagsAt: 18, lowerAt: 20, base: 24 },
];

interface Meta {
  pageSize: number;
  entries: number;
  root: bigint;
  lastPage: bigint;
  txnid: bigint;
  dbFlags: number;
}

/** One key-value pair of an LMDB database, in key order. */
export interface LmdbEntry {
  key: Buffer;
  value: Buffer;
}

/**
 * A read-only reader of an LMDB database file (data.mdb) in plain TypeScript: it walks the B-tree
 * of the main database in key order with positioned reads, checking every page and node against the
 * file's bounds, so a file that is not LMDB, or a damaged one, is a MissingUError naming it instead of
 * the segmentation fault a native binding gives. Sub-databases and duplicate keys are refused.
 */
export class LmdbReader {
  readonly file: string;
  readonly version: 1 | 2;
  /** Entries in the main database. */
  readonly count: number;
  private readonly fd: number;
  private readonly size: number;
  private readonly layout: Layout;
  private readonly meta: Meta;

  private constructor(file: string, fd: number, size: number, layout: Layout, meta: Meta) {
    this.file = file;
    this.fd = fd;
    this.size = size;
    this.layout = layout;
    this.meta = meta;
    this.version = layout.version;
    this.count = meta.entries;
  }

  /** Opens `location`: an LMDB folder (holding data.mdb) or the data.mdb file itself. */
  static open(location: string): LmdbReader {
    const file = dataFileOf(location);
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw new MissingUError(describeIoError(err, 'could not open the LMDB file', file), { code: 'file' });
    }
    try {
      const size = fs.fstatSync(fd).size;
      const { layout, meta } = readMeta(fd, size, file);
      return new LmdbReader(file, fd, size, layout, meta);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private corrupt(what: string): MissingUError {
    return new MissingUError(`LMDB file ${this.file} is damaged: ${what}`, { code: 'format' });
  }

  private read(position: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    const got = position + length <= this.size ? fs.readSync(this.fd, buffer, 0, length, position) : 0;
    if (got !== length) throw this.corrupt(`a read of ${length} bytes at byte ${position} runs past its end`);
    return buffer;
  }

  /** Page `pgno` and its flags, after checking it lies in the file. */
  private page(pgno: bigint): { page: Buffer; flags: number } {
    if (pgno < 2n || pgno > this.meta.lastPage) throw this.corrupt(`page ${pgno} is out of range`);
    const page = this.read(Number(pgno) * this.meta.pageSize, this.meta.pageSize);
    return { page, flags: page.readUInt16LE(this.layout.flagsAt) };
  }

  /** The node offsets of a branch or leaf page. */
  private nodes(page: Buffer, pgno: bigint): number[] {
    const { header, lowerAt, base } = this.layout;
    const lower = page.readUInt16LE(lowerAt);
    const keys = (lower - (header - base)) >> 1;
    if (lower < header - base || header + 2 * keys > page.length)
      throw this.corrupt(`page ${pgno} has a bad key count`);
    return Array.from({ length: keys }, (_, i) => {
      const offset = page.readUInt16LE(header + 2 * i) + base;
      if (offset < header || offset + NODE_HEADER > page.length) {
        throw this.corrupt(`page ${pgno} has a bad node offset`);
      }
      return offset;
    });
  }

  private entry(page: Buffer, pgno: bigint, node: number): LmdbEntry {
    const size = page.readUInt16LE(node) | (page.readUInt16LE(node + 2) << 16);
    const flags = page.readUInt16LE(node + 4);
    const keySize = page.readUInt16LE(node + 6);
    if (flags & (F_SUBDATA | F_DUPDATA)) {
      throw new MissingUError(
        `LMDB file ${this.file} holds named sub-databases or duplicate keys: missing-u reads a plain key-value LMDB (an LSUN export)`,
        { code: 'format' },
      );
    }
    const keyEnd = node + NODE_HEADER + keySize;
    const dataEnd = keyEnd + (flags & F_BIGDATA ? 8 : size);
    if (dataEnd > page.length) throw this.corrupt(`a node on page ${pgno} runs past the page`);
    const key = Buffer.from(page.subarray(node + NODE_HEADER, keyEnd));
    if (!(flags & F_BIGDATA)) return { key, value: Buffer.from(page.subarray(keyEnd, dataEnd)) };
    const overflow = page.readBigUInt64LE(keyEnd);
    const pages = BigInt(Math.ceil((this.layout.header + size) / this.meta.pageSize));
    const first = this.page(overflow);
    if (!(first.flags & P_OVERFLOW) || overflow + pages - 1n > this.meta.lastPage) {
      throw this.corrupt(`the value of a key on page ${pgno} points at a bad overflow page ${overflow}`);
    }
    return { key, value: this.read(Number(overflow) * this.meta.pageSize + this.layout.header, size) };
  }

  /** The entries from index `from` on, in key order. Skipped entries cost a leaf read, not their values. */
  *entries(from = 0): Generator<LmdbEntry> {
    if (this.meta.entries === 0) return;
    let skip = from;
    // Each page of a tree is visited once: more visits mean a cycle in a damaged file.
    let visits = 0n;
    const walk = function* (this: LmdbReader, pgno: bigint, depth: number): Generator<LmdbEntry> {
      visits += 1n;
      if (depth > MAX_DEPTH || visits > this.meta.lastPage) throw this.corrupt('its tree has a cycle');
      const { page, flags } = this.page(pgno);
      const nodes = this.nodes(page, pgno);
      if (flags & P_BRANCH) {
        for (const node of nodes) {
          const child =
            BigInt(page.readUInt16LE(node)) |
            (BigInt(page.readUInt16LE(node + 2)) << 16n) |
            (BigInt(page.readUInt16LE(node + 4)) << 32n);
          yield* walk.call(this, child, depth + 1);
        }
      } else if (flags & P_LEAF) {
        if (skip >= nodes.length) {
          skip -= nodes.length;
          return;
        }
        for (const node of nodes.slice(skip)) yield this.entry(page, pgno, node);
        skip = 0;
      } else {
        throw this.corrupt(`page ${pgno} is neither a branch nor a leaf (flags 0x${flags.toString(16)})`);
      }
    };
    yield* walk.call(this, this.meta.root, 0);
  }
}

function dataFileOf(location: string): string {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(location);
  } catch {
    throw new MissingUError(`LMDB ${location} does not exist`, { code: 'file' });
  }
  if (!stats.isDirectory()) return location;
  const file = path.join(location, 'data.mdb');
  if (!fs.existsSync(file))
    throw new MissingUError(`${location} is not an LMDB folder: it has no data.mdb`, { code: 'file' });
  return file;
}

function metaAt(head: Buffer, layout: Layout): Meta | undefined {
  const m = layout.header;
  if (head.length < m + 136) return undefined;
  if (head.readUInt32LE(m) !== MAGIC || head.readUInt32LE(m + 4) !== layout.version) return undefined;
  if (!(head.readUInt16LE(layout.flagsAt) & P_META)) return undefined;
  const free = m + 24;
  const main = m + 72;
  return {
    pageSize: head.readUInt32LE(free),
    dbFlags: head.readUInt16LE(main + 4),
    entries: Number(head.readBigUInt64LE(main + 32)),
    root: head.readBigUInt64LE(main + 40),
    lastPage: head.readBigUInt64LE(m + 120),
    txnid: head.readBigUInt64LE(m + 128),
  };
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const got = fs.readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, got);
}

/** The newer of the two meta pages, checked against the file: which layout it uses and where the tree is. */
function readMeta(fd: number, size: number, file: string): { layout: Layout; meta: Meta } {
  const notLmdb = (why: string) =>
    new MissingUError(`${file} is not an LMDB database (${why}); give the folder of an LMDB export such as LSUN's`, {
      code: 'format',
    });
  const head = readAt(fd, 0, 512);
  const layout = LAYOUTS.find((l) => metaAt(head, l) !== undefined);
  if (!layout) throw notLmdb('no LMDB meta page at its start: not LMDB, or a 32-bit or big-endian build of it');
  const first = metaAt(head, layout)!;
  const { pageSize } = first;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw notLmdb(`page size ${pageSize}`);
  if (size < 2 * pageSize) throw notLmdb(`${size} bytes, shorter than its two meta pages`);
  const second = metaAt(readAt(fd, pageSize, 512), layout);
  const meta = second && second.txnid > first.txnid ? second : first;
  const pages = BigInt(Math.floor(size / pageSize));
  if (meta.lastPage >= pages) throw notLmdb(`its last page ${meta.lastPage} lies past its ${size} bytes: truncated`);
  if (meta.dbFlags & MDB_DUPSORT) {
    throw new MissingUError(`LMDB ${file} stores duplicate keys: missing-u reads a plain key-value LMDB`, {
      code: 'format',
    });
  }
  const empty = meta.root === 0xffffffffffffffffn;
  if (!empty && (meta.root < 2n || meta.root > meta.lastPage))
    throw notLmdb(`its root page ${meta.root} is out of range`);
  if (empty) meta.entries = 0;
  return { layout, meta };
}
