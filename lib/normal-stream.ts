import { MissingUError } from './errors';
import { Generator } from './generator';

/** libtorch's CPU randn turns uniforms into normals 16 at a time. */
const BLOCK = 16;

/**
 * The values `randn([total], seed)` draws, read in pieces of any length without drawing them all at
 * once. libtorch fills 16 values per block and, when the size is not a multiple of 16, redraws the last
 * 16: so the generator is asked for pieces of whole blocks, and for all that remains once less than a
 * piece and a block is left, which consumes its stream exactly as one draw of `total` does.
 */
export class NormalStream implements Disposable {
  readonly #generator: Generator;
  #left: number;
  #buffer: Float32Array = new Float32Array(0);
  #at = 0;

  constructor(seed: number, total: number) {
    this.#generator = new Generator(seed);
    this.#left = total;
  }

  /** The next `count` values. */
  take(count: number): Float32Array {
    const out = new Float32Array(count);
    for (let filled = 0; filled < count;) {
      if (this.#at === this.#buffer.length) this.#draw(count - filled);
      const part = Math.min(count - filled, this.#buffer.length - this.#at);
      out.set(this.#buffer.subarray(this.#at, this.#at + part), filled);
      filled += part;
      this.#at += part;
    }
    return out;
  }

  #draw(wanted: number): void {
    let piece = Math.ceil(wanted / BLOCK) * BLOCK;
    if (piece + BLOCK > this.#left) piece = this.#left;
    if (piece <= 0)
      throw new MissingUError(`NormalStream: ${wanted} values asked beyond its total`, { code: 'internal' });
    using drawn = this.#generator.randn([piece]);
    this.#buffer = drawn.toFloat32Array();
    this.#at = 0;
    this.#left -= piece;
  }

  dispose(): void {
    this.#generator.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
