import fs from 'node:fs';
import path from 'node:path';

import { MissingUError } from '../errors';
import { removeStaleAtomicTemps, syncDirectory, tempPathFor } from './atomic';
import { describeIoError } from './io-error';

/**
 * A safetensors file of one float32 tensor written slice by slice along its first dimension (a sample's
 * batches), so the whole tensor is never in memory. Atomic as writeFileAtomic is: the slices go to a temp
 * file beside `file`, which `finish` renames into place once every value is written; `abort` removes it.
 */
export class SafetensorsSliceWriter {
  readonly #file: string;
  readonly #temp: string;
  readonly #total: number;
  #fd: number | undefined;
  #written = 0;

  constructor(file: string, name: string, shape: readonly number[]) {
    this.#file = file;
    this.#total = shape.reduce((a, b) => a * b, 1);
    const bytes = this.#total * 4;
    const header = { __metadata__: {}, [name]: { dtype: 'F32', shape, data_offsets: [0, bytes] } };
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // data starts 8-byte aligned
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    removeStaleAtomicTemps(path.dirname(file), path.basename(file));
    this.#temp = tempPathFor(file);
    this.#io(() => {
      this.#fd = fs.openSync(this.#temp, 'wx');
      fs.writeSync(this.#fd, length);
      fs.writeSync(this.#fd, json);
    });
  }

  /** Appends the next values (row-major, following those appended before). */
  append(data: Float32Array): void {
    if (this.#written + data.length > this.#total) {
      throw new MissingUError(`${this.#file}: ${this.#written + data.length} values for a tensor of ${this.#total}`);
    }
    this.#io(() => {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      for (let at = 0; at < bytes.length;) at += fs.writeSync(this.#fd as number, bytes, at);
    });
    this.#written += data.length;
  }

  /** Syncs the file and renames it into place; every value must have been appended. */
  finish(): void {
    if (this.#written !== this.#total) {
      throw new MissingUError(`${this.#file}: ${this.#written} of ${this.#total} values written`);
    }
    this.#io(() => {
      fs.fsyncSync(this.#fd as number);
      fs.closeSync(this.#fd as number);
      this.#fd = undefined;
      fs.renameSync(this.#temp, this.#file);
    });
    syncDirectory(path.dirname(this.#file));
  }

  /** Removes the temp file (a failed or stopped run); `file` is left as it was. */
  abort(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
    fs.rmSync(this.#temp, { force: true });
  }

  #io(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.abort();
      throw err instanceof MissingUError ? err : new MissingUError(describeIoError(err, 'could not write', this.#file));
    }
  }
}
