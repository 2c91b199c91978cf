import type { z } from 'zod';
import { badInput, type FieldProblem } from '../errors/pebble-error';

/** Parses client or operator input; a failure names every bad field. */
export function parseInput<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw badInput(result.error.issues.flatMap(fieldProblems));
  }
  const nul = nulProblems(result.data);
  if (nul.length > 0) throw badInput(nul);
  return result.data;
}

function fieldProblems(issue: z.core.$ZodIssue): FieldProblem[] {
  const path = issue.path.map(String);
  // One problem per unknown key, named by its own path, rather than one about the enclosing object.
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: 'is not a known field' }));
  return [{ field: path.join('.') || 'input', message: issue.message }];
}

// Half of a UTF-16 pair (`"\ud834"` is legal JSON): Postgres refuses it in jsonb, so it is bad input here.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Postgres rejects U+0000 in `text` and `jsonb`; caught here it is bad input, not an internal error. */
function nulProblems(value: unknown, path: string[] = []): FieldProblem[] {
  const field = () => path.join('.') || 'input';
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return [{ field: field(), message: 'must not contain NUL characters' }];
    return LONE_SURROGATE.test(value) ? [{ field: field(), message: 'must be well-formed Unicode (an unpaired surrogate was sent)' }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => nulProblems(item, [...path, String(index)]));
  if (value === null || typeof value !== 'object' || value instanceof Date) return [];
  return Object.entries(value).flatMap(([key, item]) => [
    ...(key.includes('\u0000') ? [{ field: field(), message: 'must not contain NUL characters in keys' }] : []),
    ...nulProblems(item, [...path, key]),
  ]);
}
