import { defineErrors } from '../platform/errors/pebble-error';

export const AuthError = defineErrors('AuthError', {
  INVALID_CREDENTIALS: 'UNAUTHENTICATED',
  TOKEN_MISSING: 'UNAUTHENTICATED',
  TOKEN_INVALID: 'UNAUTHENTICATED',
  TOKEN_REVOKED: 'UNAUTHENTICATED',
  TOKEN_REUSED: 'UNAUTHENTICATED',
  ACCOUNT_INACTIVE: 'UNAUTHENTICATED',
  TOO_MANY_ATTEMPTS: 'TOO_MANY_REQUESTS',
  ROLE_FORBIDDEN: 'FORBIDDEN',
});
export type AuthError = InstanceType<typeof AuthError>;
