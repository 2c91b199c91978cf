import type { Server } from 'node:http';
import { specifiedRules, validate, type GraphQLFormattedError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AuthContext } from '../context/auth-context';
import type { Logger } from '../logging/logger';
import type { GraphQLContext } from './context';
import { RequestLoaders } from './request-loaders';

export const CLOSE_FORBIDDEN = 4403;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WebSocketOptions {
  server: Server;
  schema: GraphQLSchema;
  logger: Logger;
  validationRules: ValidationRule[];
  /** Verifies `connectionParams.authorization` (`Bearer <access>`); returns the caller and token expiry. */
  authenticate(token: string, correlationId: string): Promise<{ auth: AuthContext; expiresAt: number }>;
  /** The HTTP endpoint's error mapping, so errors over a socket carry the same codes and hide the same internals. */
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
}

type Extra = {
  auth?: AuthContext;
  expiryTimer?: NodeJS.Timeout;
};

/**
 * graphql-ws on the api's port and `/graphql` path. `connection_init` must carry a valid access token
 * (else close 4403); the socket is closed when that token expires, so clients refresh and reconnect.
 */
export function startWebSocketServer({ server, schema, logger, validationRules, authenticate, formatError }: WebSocketOptions) {
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: 64 * 1024 });
  const rules = [...specifiedRules, ...validationRules];
  const cleanup = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      validate: (s, document) => validate(s, document, rules),
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const token = typeof raw === 'string' ? raw.replace(/^Bearer\s+/i, '') : '';
        try {
          const { auth, expiresAt } = await authenticate(token, `ws-${Date.now().toString(36)}`);
          const extra = ctx.extra as unknown as Extra & { socket: { close(code: number, reason: string): void } };
          extra.auth = auth;
          // Node timers overflow past 2^31-1 ms (~24.8 days) and would fire at once.
          const lifetime = Math.min(Math.max(0, expiresAt * 1000 - Date.now()), MAX_TIMER_MS);
          extra.expiryTimer = setTimeout(() => extra.socket.close(CLOSE_FORBIDDEN, 'Token expired'), lifetime);
          return true;
        } catch {
          return false;
        }
      },
      onClose: (ctx) => clearTimeout((ctx.extra as unknown as Extra).expiryTimer),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) } : undefined,
      context: (ctx): GraphQLContext => {
        const auth = (ctx.extra as unknown as Extra).auth ?? null;
        return { auth, authError: null, correlationId: auth?.correlationId ?? 'ws', loaders: new RequestLoaders() };
      },
    },
    wss,
  );
  wss.on('error', (error) => logger.error({ err: error }, 'websocket server error'));
  return {
    async close(): Promise<void> {
      await cleanup.dispose();
      await new Promise<void>((done) => wss.close(() => done()));
    },
  };
}
