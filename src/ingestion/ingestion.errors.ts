import { defineErrors } from '../platform/errors/pebble-error';

export const IngestionError = defineErrors('IngestionError', {
  SENDER_BLACKLISTED: 'FORBIDDEN',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
});
