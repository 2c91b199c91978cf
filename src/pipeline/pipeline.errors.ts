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
