import type { FastifyInstance } from 'fastify';
import { badInput } from '../platform/errors/pebble-error';
import type { Services } from '../services';

const TOKEN_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['password'],
  properties: {
    email: { type: 'string', minLength: 1, maxLength: 320 },
    username: { type: 'string', minLength: 1, maxLength: 320, description: 'Alias of email.' },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;

const REFRESH_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['refresh'],
  properties: { refresh: { type: 'string', minLength: 1, maxLength: 4096 } },
} as const;

interface TokenBody {
  email?: string;
  username?: string;
  password: string;
}

export function authRoutes(app: FastifyInstance, { auth, users }: Services): void {
  app.post<{ Body: TokenBody }>('/api/v1/token/', { config: { public: true }, schema: { body: TOKEN_BODY } }, async (request) => {
    const email = request.body.email ?? request.body.username;
    if (!email) throw badInput([{ field: 'email', message: 'is required (or username)' }]);
    return auth.login({ email, password: request.body.password }, request.id);
  });

  app.post<{ Body: { refresh: string } }>('/api/v1/token/refresh/', { config: { public: true }, schema: { body: REFRESH_BODY } }, (request) =>
    auth.refresh(request.body.refresh, request.id),
  );

  app.post<{ Body: { refresh: string } }>('/api/v1/token/revoke/', { schema: { body: REFRESH_BODY } }, async (request) => ({
    revoked: await auth.logout(request.auth!, request.body.refresh),
  }));

  app.get('/api/v1/me/', (request) => users.me(request.auth!));
}
