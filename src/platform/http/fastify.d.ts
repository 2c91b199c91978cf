import type { AuthContext } from '../context/auth-context';
import type { PebbleError } from '../errors/pebble-error';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, or null. Set by the authenticate hook from the access token only. */
    auth: AuthContext | null;
    authError: PebbleError | null;
  }
  interface FastifyContextConfig {
    /** Reachable without an access token (the token endpoints only). */
    public?: boolean;
    /** Roles allowed on this route; any authenticated role when unset. */
    roles?: readonly string[];
  }
}
