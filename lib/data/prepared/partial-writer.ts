import crypto from 'node:crypto';
import fs from 'node:fs';

import { MissingUError } from '../../errors';
import { describeIoError } from '../../io/io-error';

const HASH_CHUNK = 8 * 1024 * 1024;

/**
 * The staging data file of a prepare: images appended at a fixed stride, hashed as they are written.
 * Opening it cuts it back to `count` images (what progress.json recorded; a kill may have left more)
 * and hashes those again, so a resumed prepare's hash is that of an uninterrupted one.
 */
export class PartialWriter {
  readonly file: string;
  private readonly fd: number;
  private readonly hash = crypto.createHash('sha256');
  private readonly stride: number;
  count: number;

  private constructor(file: string, fd: number, stride: number, count: number) {
    this.file = file;
    this.fd = fd;
    this.stride = stride;
    this.count = count;
  }

  static open(file: string, stride: number, count: number): PartialWriter {
    const io = (action: string, run: () => void) => {
      try {
        run();
      } catch (err) {
        throw new MissingUError(describeIoError(err, action, file), { code: 'file' });
      }
    };
    let fd = -1;
    io('could not open', () => {
      fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    });
    const writer = new PartialWriter(file, fd, stride, count);
    const size = fs.fstatSync(fd).size;
    if (size < count * stride) {
      fs.closeSync(fd);
      throw new MissingUError(
        `${file} holds ${size} bytes, fewer than the ${count} images (${count * stride} bytes) its progress.json records: ` +
          'delete the folder and prepare again',
        { code: 'format' },
      );
    }
    io('could not truncate', () => fs.ftruncateSync(fd, count * stride));
    const buffer = Buffer.allocUnsafe(Math.min(HASH_CHUNK, Math.max(count * stride, 1)));
    for (let at = 0; at < count * stride;) {
      const got = fs.readSync(fd, buffer, 0, Math.min(buffer.length, count * stride - at), at);
      writer.hash.update(buffer.subarray(0, got));
      at += got;
    }
    return writer;
  }

  /** Appends `images` whole images from the start of `bytes`. */
  append(bytes: Buffer, images: number): void {
    const length = images * this.stride;
    let written = 0;
    try {
      while (written < length) {
        written += fs.writeSync(this.fd, bytes, written, length - written, this.count * this.stride + written);
      }
    } catch (err) {
      throw new MissingUError(describeIoError(err, 'could not write', this.file), { code: 'file' });
    }
    this.hash.update(bytes.subarray(0, length));
    this.count += images;
  }

  /** Flushes the written images to disk (before progress.json records them). */
  sync(): void {
    try {
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      throw new MissingUError(describeIoError(err, 'could not sync', this.file), { code: 'file' });
    }
  }

  /** The sha256 of everything written; the writer is spent after it. */
  digest(): string {
    return this.hash.digest('hex');
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
