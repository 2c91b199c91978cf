import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { databaseUnavailable, PebbleError } from '../errors/pebble-error';
import { isDatabaseUnavailable } from '../db/unavailable';
import type { Logger } from '../logging/logger';

/**
 * The one place errors become `extensions.code`. Pebble errors keep their message and field list;
 * anything unexpected is logged and answered as INTERNAL_SERVER_ERROR without internals.
 */
export function formatError(logger: Logger, exposeDetails: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const unwrapped = unwrapResolverError(error);
    const original = isDatabaseUnavailable(unwrapped) ? databaseUnavailable() : unwrapped;
    if (original instanceof PebbleError) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: {
          code: original.kind,
          reason: original.code,
          ...(original.details.fields ? { fields: original.details.fields } : {}),
          ...(original.details.retryAfterSeconds ? { retryAfterSeconds: original.details.retryAfterSeconds } : {}),
        },
      };
    }
    const code = formatted.extensions?.code;
    if (code && code !== 'INTERNAL_SERVER_ERROR') return withoutStack(formatted, exposeDetails);
    logger.error({ err: original }, 'unexpected error in GraphQL operation');
    return {
      message: exposeDetails && original instanceof Error ? original.message : 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}

function withoutStack(formatted: GraphQLFormattedError, exposeDetails: boolean): GraphQLFormattedError {
  if (exposeDetails || !formatted.extensions?.stacktrace) return formatted;
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
