/** The kinds every feature error maps to; each one has exactly one HTTP status and GraphQL `extensions.code`. */
export const ERROR_KIND_STATUS = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorKind = keyof typeof ERROR_KIND_STATUS;

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export interface ErrorDetails {
  readonly fields?: readonly FieldProblem[];
  readonly retryAfterSeconds?: number;
}

/**
 * Base of every error a client may see. A feature declares its codes as a `Record<Code, ErrorKind>`,
 * so adding a code without deciding how it reaches clients does not compile.
 */
export abstract class PebbleError<Code extends string = string> extends Error {
  abstract readonly kind: ErrorKind;

  constructor(
    readonly code: Code,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): number {
    return ERROR_KIND_STATUS[this.kind];
  }
}

/** Declares a feature's error class from its code table. */
export function defineErrors<const Codes extends Record<string, ErrorKind>>(name: string, codes: Codes) {
  const errorClass = class extends PebbleError<Extract<keyof Codes, string>> {
    get kind(): ErrorKind {
      return codes[this.code];
    }
  };
  Object.defineProperty(errorClass, 'name', { value: name });
  return errorClass;
}

export const CommonError = defineErrors('CommonError', {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  DATABASE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  OVERLOADED: 'SERVICE_UNAVAILABLE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
});

/** An outage of a dependency the request cannot do without; clients should retry after a pause. */
export const databaseUnavailable = () =>
  new CommonError('DATABASE_UNAVAILABLE', 'The database is unavailable; retry shortly', { retryAfterSeconds: 5 });

export const notFound = (entity: string, id: string) =>
  new CommonError('NOT_FOUND', `${entity} ${id} not found`);

export const badInput = (fields: FieldProblem[]) =>
  new CommonError('BAD_USER_INPUT', `Invalid input: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`, {
    fields,
  });
