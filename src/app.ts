import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import { ApolloServer } from '@apollo/server';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { authRoutes } from './auth/auth.routes';
import { AuthError } from './auth/auth.errors';
import type { AccessClaims } from './auth/token.service';
import { companyRoutes } from './companies/company.routes';
import { dashboardRoutes } from './dashboard/dashboard.routes';
import { ingestionRoutes } from './ingestion/ingestion.routes';
import { insightRoutes } from './insights/insight.routes';
import { LiveFeed } from './live/live-feed';
import { recordRoutes } from './records/record.routes';
import { searchRoutes } from './search/search.routes';
import type { Config } from './platform/config/config';
import type { AuthContext } from './platform/context/auth-context';
import type { Database } from './platform/db/database';
import { CommonError, PebbleError } from './platform/errors/pebble-error';
import type { GraphQLContext } from './platform/graphql/context';
import { depthLimit } from './platform/graphql/depth-limit';
import { formatError } from './platform/graphql/format-error';
import { RequestLoaders } from './platform/graphql/request-loaders';
import { requireAuthPlugin } from './platform/graphql/require-auth.plugin';
import { startWebSocketServer } from './platform/graphql/websocket';
import { CORRELATION_HEADER, correlationId } from './platform/http/correlation';
import { installErrorHandler } from './platform/http/error-handler';
import { installMetrics } from './platform/http/metrics';
import type { Logger } from './platform/logging/logger';
import { buildPebbleSchema, PUBLIC_FIELDS } from './schema';
import type { Services } from './services';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  db: Database;
  services: Services;
}

export interface PebbleApp {
  readonly app: FastifyInstance;
  /** What feeds this process's subscriptions. */
  readonly live: LiveFeed;
  /** Stops accepting, drains in-flight HTTP and WebSocket work, then closes. */
  close(): Promise<void>;
}

export async function buildApp({ config, logger, db, services }: AppDependencies): Promise<PebbleApp> {
  const production = config.NODE_ENV === 'production';
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's own request/response lines are off: the onResponse hook below writes one line per request.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'correlation_id' }),
    genReqId: correlationId,
    bodyLimit: config.BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  });

  const toAuth = (claims: AccessClaims, correlation: string): AuthContext => ({
    tenantId: claims.tenantId,
    userId: claims.userId,
    role: claims.role,
    correlationId: correlation,
    sourceSystem: 'api',
  });

  app.decorateRequest('auth', null);
  app.decorateRequest('authError', null);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(CORRELATION_HEADER, request.id);
    const header = request.headers.authorization;
    if (header) {
      try {
        const [scheme, token] = header.split(' ');
        if (scheme?.toLowerCase() !== 'bearer' || !token) throw new AuthError('TOKEN_INVALID', 'Authorization header must be `Bearer <access token>`');
        request.auth = toAuth(await services.tokens.verifyAccess(token), request.id);
      } catch (error) {
        request.authError = error instanceof PebbleError ? error : new AuthError('TOKEN_INVALID', 'Token is invalid or expired');
      }
    }
    // The matched route's pattern, not the raw URL: the router decodes `/%61pi/v1/me/` to a route the raw
    // URL does not reveal. Unknown /api/v1 paths answer 401 too, so the shim reveals nothing to anonymous callers.
    const path = request.routeOptions.url ?? request.url;
    if (path.startsWith('/api/v1/') && !request.routeOptions.config.public && !request.auth) {
      throw request.authError ?? new AuthError('TOKEN_MISSING', 'Authentication credentials were not provided.');
    }
    // Before the body is read: a caller without the role never gets to upload megabytes.
    const roles = request.routeOptions.config.roles;
    if (roles && request.auth && !roles.includes(request.auth.role)) {
      throw new CommonError('FORBIDDEN', `This operation needs one of the roles: ${roles.join(', ')}`);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        tenant_id: request.auth?.tenantId,
        user_id: request.auth?.userId,
      },
      'request',
    );
  });

  installErrorHandler(app, !production);
  installMetrics(app, services.metrics);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await db.ping();
      return { status: 'ready' };
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed');
      return reply.status(503).header('retry-after', '5').send({ status: 'unavailable', detail: 'Postgres is not reachable' });
    }
  });

  authRoutes(app, services);
  companyRoutes(app, services);
  ingestionRoutes(app, services, config);
  recordRoutes(app, services, config);
  searchRoutes(app, services);
  insightRoutes(app, services);
  dashboardRoutes(app);

  // One listener per api process feeds every subscription; workers and other api processes reach it through NOTIFY.
  const live = new LiveFeed({ url: db.url, services, logger, intervalMs: config.LIVE_UPDATE_INTERVAL_MS });
  const schema = await buildPebbleSchema(services, live.pubSub);
  const validationRules = [depthLimit(config.GRAPHQL_MAX_DEPTH)];
  const graphqlErrors = formatError(logger, !production);
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: !production,
    includeStacktraceInErrorResponses: !production,
    csrfPrevention: true,
    // Shutdown belongs to the process (main.ts), which drains HTTP and stops the queue in order.
    stopOnTerminationSignals: false,
    validationRules,
    formatError: graphqlErrors,
    plugins: [fastifyApolloDrainPlugin(app), requireAuthPlugin(PUBLIC_FIELDS)],
  });
  await apollo.start();
  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    context: async (request) => ({ auth: request.auth, authError: request.authError, correlationId: request.id, loaders: new RequestLoaders() }),
  });

  const websocket = startWebSocketServer({
    server: app.server,
    schema,
    logger,
    validationRules,
    formatError: graphqlErrors,
    authenticate: async (token, correlation) => {
      const claims = await services.tokens.verifyAccess(token);
      return { auth: toAuth(claims, correlation), expiresAt: claims.exp };
    },
  });
  app.addHook('preClose', async () => {
    await websocket.close();
    await live.stop();
  });
  // Last, so nothing after it can fail and leave the listener's connection open.
  await live.start();

  return {
    app,
    live,
    async close() {
      await app.close();
      await apollo.stop();
    },
  };
}
