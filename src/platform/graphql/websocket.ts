import type { Server } from 'node:http';
import { specifiedRules, validate, type GraphQLSchema, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AuthContext } from '../context/auth-context';
import type { Logger } from '../logging/logger';
import type { GraphQLContext } from './context';

export const CLOSE_FORBIDDEN = 4403;

export interface WebSocketOptions {
  server: Server;
  schema: GraphQLSchema;
  logger: Logger;
  validationRules: ValidationRule[];
  /** Verifies `connectionParams.authorization` (`Bearer <access>`); returns the caller and token expiry. */
  authenticate(token: string, correlationId: string): Promise<{ auth: AuthContext; expiresAt: number }>;
}

type Extra = {
  auth?: AuthContext;
  expiryTimer?: NodeJS.Timeout;
};

/**
 * graphql-ws on the api's port and `/graphql` path. `connection_init` must carry a valid access token
 * (else close 4403); the socket is closed when that token expires, so clients refresh and reconnect.
 */
export function startWebSocketServer({ server, schema, logger, validationRules, authenticate }: WebSocketOptions) {
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
          extra.expiryTimer = setTimeout(() => extra.socket.close(CLOSE_FORBIDDEN, 'Token expired'), Math.max(0, expiresAt * 1000 - Date.now()));
          return true;
        } catch {
          return false;
        }
      },
      onClose: (ctx) => clearTimeout((ctx.extra as unknown as Extra).expiryTimer),
      context: (ctx): GraphQLContext => {
        const auth = (ctx.extra as unknown as Extra).auth ?? null;
        return { auth, authError: null, correlationId: auth?.correlationId ?? 'ws' };
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
