import type { z } from 'zod';
import { badInput } from '../errors/pebble-error';

/** Parses client or operator input; a failure names every bad field. */
export function parseInput<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw badInput(result.error.issues.map((issue) => ({ field: issue.path.join('.') || 'input', message: issue.message })));
  }
  return result.data;
}
