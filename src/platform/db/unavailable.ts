/** Postgres SQLSTATEs and socket errors that mean "try again later", not "your request is wrong". */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '53300']);
const UNAVAILABLE_MESSAGES = [/Unable to acquire a connection/i, /Connection terminated/i, /Knex: Timeout acquiring a connection/i];

export function isDatabaseUnavailable(error: unknown): boolean {
  // pg sometimes rejects with a plain object, which graphql-js wraps as NonErrorThrown { thrownValue }.
  const next = (value: unknown) => (value as { cause?: unknown; thrownValue?: unknown }).cause ?? (value as { thrownValue?: unknown }).thrownValue;
  for (let current = error, depth = 0; current && depth < 5; current = next(current), depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
  }
  return false;
}
