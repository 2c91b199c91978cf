import type { z } from 'zod';

/**
 * A failure that cannot succeed on retry (a malformed payload, an email that does not exist): the job goes to
 * the dead-letter queue at once instead of using up its retries.
 */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** A job's payload checked against its queue's schema; anything else is a malformed job that no retry can fix. */
export function parseJobPayload<T extends z.ZodTypeAny>(queue: string, schema: T, data: unknown): z.output<T> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new PermanentJobError(`Malformed ${queue} payload: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'data'} ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
