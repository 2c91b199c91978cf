import type { FastifyError, FastifyInstance } from 'fastify';
import { isDatabaseUnavailable } from '../db/unavailable';
import { CommonError, databaseUnavailable, PebbleError, type FieldProblem } from '../errors/pebble-error';

interface ValidationIssue {
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Maps every error leaving a REST route to `{detail, code, errors?}` and one status; no stack traces. */
export function installErrorHandler(app: FastifyInstance, exposeDetails: boolean): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = toPebbleError(error);
    if (!mapped) {
      request.log.error({ err: error }, 'unhandled error');
      return reply.status(500).send({ detail: exposeDetails ? error.message : 'Internal server error', code: 'INTERNAL_SERVER_ERROR' });
    }
    const { retryAfterSeconds, fields } = mapped.details;
    if (retryAfterSeconds) reply.header('retry-after', String(retryAfterSeconds));
    if (mapped.kind === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer');
    return reply.status(mapped.status).send({ detail: mapped.message, code: mapped.code, ...(fields ? { errors: fields } : {}) });
  });
}

function toPebbleError(error: FastifyError): PebbleError | null {
  if (error instanceof PebbleError) return error;
  if (isDatabaseUnavailable(error)) return databaseUnavailable();
  if (error.validation) {
    const fields = (error.validation as ValidationIssue[]).map(fieldProblem);
    return new CommonError('BAD_USER_INPUT', `Invalid ${error.validationContext ?? 'request'}: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`, { fields });
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new CommonError('PAYLOAD_TOO_LARGE', 'Request body is too large');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new CommonError('UNSUPPORTED_MEDIA_TYPE', error.message);
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new CommonError('BAD_USER_INPUT', error.message);
  }
  return null;
}

function fieldProblem(issue: ValidationIssue): FieldProblem {
  const path = issue.instancePath.split('/').filter(Boolean);
  const named = issue.params.missingProperty ?? issue.params.additionalProperty;
  if (typeof named === 'string') path.push(named);
  const message = issue.params.additionalProperty ? 'is not a known field' : (issue.message ?? 'is invalid');
  return { field: path.join('.') || 'body', message };
}
