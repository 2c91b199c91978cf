import { createParameterDecorator } from 'type-graphql';
import type { AuthContext } from '../context/auth-context';
import type { PebbleError } from '../errors/pebble-error';
import { CommonError } from '../errors/pebble-error';
import type { RequestLoaders } from './request-loaders';

/** Per-operation context, built from the verified access token only. */
export interface GraphQLContext {
  auth: AuthContext | null;
  /** Why a presented token was refused; answered for any operation that needs a caller. */
  authError: PebbleError | null;
  correlationId: string;
  /** This operation's batching loaders; made per operation, never shared. */
  loaders: RequestLoaders;
}

/** The caller of an operation; fails closed when there is none. */
export function callerOf(context: GraphQLContext): AuthContext {
  if (!context.auth) throw context.authError ?? new CommonError('UNAUTHENTICATED', 'Authentication required');
  return context.auth;
}

/** Injects the caller; operations without one never reach a resolver (see auth plugin), this is the backstop. */
export function CurrentAuth() {
  return createParameterDecorator<GraphQLContext>(({ context }) => callerOf(context));
}
