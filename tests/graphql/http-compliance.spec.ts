import { serverAudits, type AuditResult } from 'graphql-http';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';

/**
 * graphql-http's GraphQL-over-HTTP conformance suite against the listening app. Every request carries a
 * valid access token, because Pebble answers 401 to anonymous operations by design. No MUST audit is
 * excluded: Apollo's CSRF prevention only affects MAY audits (form-encoded and simple GETs), which
 * Pebble refuses on purpose (see http-hardening.spec.ts).
 */
describe('GraphQL over HTTP conformance (graphql-http serverAudits)', () => {
  let env: TestEnv;
  let caller: Caller;
  let url: string;

  beforeAll(async () => {
    env = await createTestEnv();
    caller = await callerFactory(env, 'member');
    await env.api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = env.api.app.server.address() as { port: number };
    url = `http://127.0.0.1:${port}/graphql`;
  });
  afterAll(() => env.close());

  it('passes every MUST audit', async () => {
    const fetchFn: typeof fetch = (input, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${caller.access}`);
      return fetch(input, { ...init, headers });
    };
    const audits = serverAudits({ url, fetchFn }).filter((audit) => audit.name.startsWith('MUST'));
    const results: AuditResult[] = [];
    for (const audit of audits) results.push(await audit.fn());

    const failures = await Promise.all(
      results.flatMap((result) =>
        result.status === 'ok' ? [] : [(async () => `${result.id} ${result.name}: ${result.reason} (HTTP ${result.response.status}: ${(await result.response.text()).slice(0, 300)})`)()],
      ),
    );
    expect(audits.length).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
});
