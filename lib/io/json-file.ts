import { MissingUError } from '../errors';
import { READ_LIMITS, readBounded, readBoundedAsync } from './bounded-read';
import { jsonStructureProblem } from './json-structure';

export interface JsonFileOptions {
  /** Default READ_LIMITS.json (16 MiB). */
  maxBytes?: number;
  /** Said in parentheses after "is not valid JSON", e.g. 'corrupt checkpoint?'. */
  hint?: string;
}

/** Parses the bytes of a JSON file: UTF-8, valid JSON, no key given twice, no absurd nesting. */
export function parseJsonBytes(bytes: Uint8Array, file: string, what: string, opts: JsonFileOptions = {}): unknown {
  const invalid = (why: string) =>
    new MissingUError(`${what} ${file} is not valid JSON${opts.hint ? ` (${opts.hint})` : ''}: ${why}`, {
      code: 'format',
    });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid('it is not UTF-8 text');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const problem = jsonStructureProblem(text);
  if (problem) throw invalid(problem);
  return parsed;
}

/**
 * Reads and parses a JSON file through the bounded reader: a missing file, a FIFO or device, a file over
 * `maxBytes` or invalid JSON is a MissingUError that starts with `${what} ${file}`.
 */
export function readJsonFile(file: string, what: string, opts: JsonFileOptions = {}): unknown {
  return parseJsonBytes(readBounded(file, what, opts.maxBytes ?? READ_LIMITS.json), file, what, opts);
}

/** readJsonFile off the event loop. */
export async function readJsonFileAsync(file: string, what: string, opts: JsonFileOptions = {}): Promise<unknown> {
  return parseJsonBytes(await readBoundedAsync(file, what, opts.maxBytes ?? READ_LIMITS.json), file, what, opts);
}
