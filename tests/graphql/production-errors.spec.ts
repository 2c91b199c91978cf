import { buildApp, type PebbleApp } from '../../src/app';
import { Database } from '../../src/platform/db/database';
import { createLogger } from '../../src/platform/logging/logger';
import { createServices } from '../../src/services';
import { callerFactory, type Caller } from '../factories';
import { CompaniesDocument } from '../generated/graphql';
import { startPostgresProxy, type PostgresProxy } from '../setup/postgres-proxy';
import { createTestEnv, TEST_JWT_SECRET, type TestEnv } from '../setup/test-env';
import { execute, executeRaw } from './execute';

/** The same app over a database connection the test can cut, so an operation fails in a way no code expects. */
async function appWithCuttableDatabase(env: TestEnv): Promise<{ api: PebbleApp; proxy: PostgresProxy; close(): Promise<void> }> {
  const proxy = await startPostgresProxy(env.appUrl);
  const db = await Database.connect(proxy.url, 2);
  const api = await buildApp({ config: env.config, logger: createLogger('silent'), db, services: createServices(env.config, TEST_JWT_SECRET, db) });
  await api.app.ready();
  return {
    api,
    proxy,
    async close() {
      await api.close();
      await db.close();
    },
  };
}

describe.each([
  { mode: 'production', production: true },
  { mode: 'development', production: false },
])('GraphQL errors in $mode', ({ mode, production }) => {
  let env: TestEnv;
  let caller: Caller;
  let broken: Awaited<ReturnType<typeof appWithCuttableDatabase>>;

  beforeAll(async () => {
    env = await createTestEnv({ NODE_ENV: mode });
    caller = await callerFactory(env, 'admin');
    broken = await appWithCuttableDatabase(env);
    await broken.proxy.cut();
  });
  afterAll(async () => {
    await broken.close();
    await env.close();
  });

  it(production ? 'refuses introspection, even with a valid token' : 'answers introspection with a valid token', async () => {
    const response = await executeRaw(env.api, '{ __schema { queryType { name } } }', caller.access);
    if (production) {
      expect(response.status).toBe(400);
      expect(response.errors?.[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', validationErrorCode: 'INTROSPECTION_DISABLED' });
      expect(response.data).toBeUndefined();
    } else {
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    }
  });

  it('answers a Postgres outage as SERVICE_UNAVAILABLE with a retry hint and no internals', async () => {
    const result = await execute(broken.api, CompaniesDocument, {}, caller.access);
    expect(result.data).toBeNull();
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors!;
    expect(error.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE', retryAfterSeconds: 5 });
    expect(error.message).toBe('The database is unavailable; retry shortly');

    const rest = await broken.api.app.inject({ url: '/api/v1/companies/', headers: { authorization: `Bearer ${caller.access}` } });
    expect(rest.statusCode).toBe(503);
    expect(rest.headers['retry-after']).toBe('5');
    expect(rest.json()).toEqual({ detail: 'The database is unavailable; retry shortly', code: 'DATABASE_UNAVAILABLE' });
  });

  it(production ? 'strips the stack trace from other GraphQL errors' : 'keeps the stack trace of other GraphQL errors for developers', async () => {
    const response = await executeRaw(env.api, '{ companies { id noSuchField } }', caller.access);
    expect(response.status).toBe(400);
    expect(response.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    if (production) expect(response.errors?.[0].extensions).not.toHaveProperty('stacktrace');
    else expect(response.errors?.[0].extensions?.stacktrace).toEqual(expect.arrayContaining([expect.stringContaining('GraphQLError')]));
  });
});
