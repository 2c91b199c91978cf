import { buildApp } from '../../src/app';
import { Database } from '../../src/platform/db/database';
import { CORRELATION_HEADER } from '../../src/platform/http/correlation';
import { createLogger } from '../../src/platform/logging/logger';
import { createServices } from '../../src/services';
import { callerFactory, type Caller } from '../factories';
import { startPostgresProxy } from '../setup/postgres-proxy';
import { createTestEnv, TEST_JWT_SECRET, type TestEnv } from '../setup/test-env';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('HTTP platform', () => {
  let env: TestEnv;
  let caller: Caller;

  beforeAll(async () => {
    env = await createTestEnv({ BODY_LIMIT_BYTES: '4096' });
    caller = await callerFactory(env, 'admin');
  });
  afterAll(() => env.close());

  describe(`${CORRELATION_HEADER}`, () => {
    const correlationOf = async (given?: string) => {
      const response = await env.api.app.inject({ method: 'GET', url: '/healthz', headers: given === undefined ? {} : { [CORRELATION_HEADER]: given } });
      return response.headers[CORRELATION_HEADER];
    };

    it("echoes the caller's id back", async () => {
      await expect(correlationOf('checkout-42.retry:1')).resolves.toBe('checkout-42.retry:1');
    });

    it('generates a UUID when none is given', async () => {
      await expect(correlationOf()).resolves.toMatch(UUID);
    });

    it.each([
      ['an id of 300 characters', 'a'.repeat(300)],
      ['an id containing spaces', 'two words'],
      ['an id containing an encoded line break', 'id%0d%0aset-cookie:x'],
    ])('replaces %s with a fresh UUID', async (_case, given) => {
      await expect(correlationOf(given)).resolves.toMatch(UUID);
    });

    it('is also set on error responses', async () => {
      const response = await env.api.app.inject({ method: 'GET', url: '/api/v1/companies/', headers: { [CORRELATION_HEADER]: 'denied-1' } });
      expect(response.statusCode).toBe(401);
      expect(response.headers[CORRELATION_HEADER]).toBe('denied-1');
    });
  });

  describe('health', () => {
    it('answers /healthz with 200', async () => {
      const response = await env.api.app.inject({ method: 'GET', url: '/healthz' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    });

    it('answers /readyz with 200 while Postgres is reachable and 503 with Retry-After once it is not', async () => {
      const proxy = await startPostgresProxy(env.appUrl);
      const db = await Database.connect(proxy.url, 2);
      const api = await buildApp({ config: env.config, logger: createLogger('silent'), db, services: createServices(env.config, TEST_JWT_SECRET, db) });
      try {
        const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
        expect(ready.statusCode).toBe(200);
        expect(ready.json()).toEqual({ status: 'ready' });

        await proxy.cut();
        const unavailable = await api.app.inject({ method: 'GET', url: '/readyz' });
        expect(unavailable.statusCode).toBe(503);
        expect(unavailable.headers['retry-after']).toBe('5');
        expect(unavailable.json()).toEqual({ status: 'unavailable', detail: 'Postgres is not reachable' });
        // Liveness does not depend on the database, so an orchestrator does not restart a healthy process.
        expect((await api.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      } finally {
        await api.close();
        await db.close();
      }
    });
  });

  describe('/metrics', () => {
    it('counts requests by method, route pattern and status', async () => {
      await env.api.app.inject({ method: 'GET', url: '/healthz' });
      const response = await env.api.app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.body).toMatch(/^# TYPE pebble_http_requests_total counter$/m);
      expect(response.body).toMatch(/^pebble_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]\d*$/m);
    });

    it('labels by route pattern, never the raw URL with ids in it', async () => {
      await env.api.app.inject({ method: 'GET', url: '/api/v1/companies/7d0c7e8c-0000-4000-8000-000000000000/', headers: { authorization: `Bearer ${caller.access}` } });
      const { body } = await env.api.app.inject({ method: 'GET', url: '/metrics' });
      expect(body).toContain('route="/api/v1/companies/:id/",status="404"');
      expect(body).not.toContain('7d0c7e8c');
    });
  });

  describe('body limit (BODY_LIMIT_BYTES)', () => {
    const oversized = JSON.stringify({ name: 'Acme', attributes: { blob: 'x'.repeat(4096) } });

    it.each(['/api/v1/companies/', '/graphql'])('answers 413 {detail, code} on %s', async (url) => {
      const response = await env.api.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${caller.access}`, 'content-type': 'application/json' },
        payload: oversized,
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({ detail: 'Request body is too large', code: 'PAYLOAD_TOO_LARGE' });
    });

    it('accepts a body just under the limit', async () => {
      const response = await env.api.app.inject({
        method: 'POST',
        url: '/api/v1/companies/',
        headers: { authorization: `Bearer ${caller.access}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'Acme', attributes: { blob: 'x'.repeat(3000) } }),
      });
      expect(response.statusCode).toBe(201);
    });
  });
});
