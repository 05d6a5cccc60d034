import { z } from 'zod';

import { MissingUError } from '../errors';

/** The keys an object schema knows, through defaults, optionals and refinements. */
function objectShape(schema: z.ZodTypeAny): Record<string, z.ZodTypeAny> | undefined {
  if (schema instanceof z.ZodObject) return schema.shape as Record<string, z.ZodTypeAny>;
  if (schema instanceof z.ZodDefault) return objectShape(schema._def.innerType);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return objectShape(schema.unwrap());
  if (schema instanceof z.ZodEffects) return objectShape(schema.innerType());
  return undefined;
}

/** The schema at `path` inside `schema` (object keys only). */
function schemaAt(schema: z.ZodTypeAny, path: Array<string | number>): z.ZodTypeAny | undefined {
  let at: z.ZodTypeAny | undefined = schema;
  for (const key of path) at = at && objectShape(at)?.[String(key)];
  return at;
}

function valueAt(input: unknown, path: Array<string | number>): unknown {
  return path.reduce<unknown>(
    (at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined),
    input,
  );
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return 'a function';
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return 'an object';
  return String(value === undefined ? 'undefined' : JSON.stringify(value));
}

/**
 * One message for one problem, naming the option by its path: "sample: unknown option 'stepz' (known:
 * n, seed, ...)", or "train: train.lr must be ... (got 'x')". The native side words its own the same way.
 */
export function describeOptionIssue(schema: z.ZodTypeAny, issue: z.ZodIssue, input: unknown, where: string): string {
  const prefix = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(objectShape(schemaAt(schema, issue.path) ?? schema) ?? {});
    const names = issue.keys.map((k) => `'${prefix}${k}'`).join(', ');
    return `${where}: unknown option${issue.keys.length > 1 ? 's' : ''} ${names} (known: ${known.map((k) => prefix + k).join(', ')})`;
  }
  const name = issue.path.join('.') || 'options';
  const message = issue.code === 'custom' ? issue.message : issue.message.toLowerCase();
  return `${where}: ${name}: ${message} (got ${describeValue(valueAt(input, issue.path))})`;
}

/** Validates `input` against `schema` once, filling in its defaults; a MissingUError names every problem. */
export function parseOptions<S extends z.ZodTypeAny>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data as z.output<S>;
  throw new MissingUError(
    result.error.issues.map((issue) => describeOptionIssue(schema, issue, input, where)).join('\n'),
  );
}

/**
 * A string option of type T whose value native code checks (and names the allowed ones when it is not
 * one of them): the schema gives its kind, the error stays the native one.
 */
export function nativeName<T extends string>() {
  return z.custom<T>((value) => typeof value === 'string', { message: 'must be a string' });
}
