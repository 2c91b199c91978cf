import { setTimeout as sleep } from 'node:timers/promises';
import { callerFactory, type Caller } from '../factories';
import { executeRaw } from '../graphql/execute';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { emailFactory, ingest, storedCounts } from './factories';

describe('ingestion rate limit (per-tenant token bucket)', () => {
  describe('with a slow refill (0.01 per second) and a burst of 3', () => {
    // At 0.01 tokens a second this block refills far less than one token, so the counts below are exact.
    const BURST = 3;
    let env: TestEnv;
    let a: Caller;
    let b: Caller;

    beforeAll(async () => {
      env = await createTestEnv({ INGEST_RATE_LIMIT_PER_SECOND: '0.01', INGEST_RATE_LIMIT_BURST: String(BURST) });
      [a, b] = await Promise.all([callerFactory(env, 'integration'), callerFactory(env, 'integration')]);
    });
    afterAll(() => env.close());

    it('answers 429 RATE_LIMITED with Retry-After once the burst is spent, and stores nothing for those requests', async () => {
      const statuses: number[] = [];
      const refused = [];
      for (let i = 0; i < BURST + 3; i++) {
        const response = await ingest(env, a.access, emailFactory());
        statuses.push(response.statusCode);
        if (response.statusCode === 429) refused.push(response);
      }

      expect(statuses).toEqual([202, 202, 202, 429, 429, 429]);
      for (const response of refused) {
        expect(response.json()).toEqual({ detail: 'Ingestion rate limit reached for this tenant', code: 'RATE_LIMITED' });
        // One token takes 100 s at 0.01/s; the caller is told to wait no longer than that, and at least a second.
        const retryAfter = Number(response.headers['retry-after']);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(100);
      }
      expect(await storedCounts(env, a.tenant.id)).toEqual({ emails: BURST, jobs: BURST });
    });

    it('does not slow down another tenant', async () => {
      const responses = [];
      for (let i = 0; i < BURST; i++) responses.push(await ingest(env, b.access, emailFactory()));

      expect(responses.map((response) => response.statusCode)).toEqual([202, 202, 202]);
      expect(await storedCounts(env, b.tenant.id)).toEqual({ emails: BURST, jobs: BURST });
      // a is still limited.
      expect((await ingest(env, a.access, emailFactory())).statusCode).toBe(429);
    });

    it('limits the tenant, not the user: another user of the same tenant is refused as well', async () => {
      const colleague = await callerFactory(env, 'admin', a.tenant);

      const response = await ingest(env, colleague.access, emailFactory());

      expect(response.statusCode).toBe(429);
      expect(await storedCounts(env, a.tenant.id)).toEqual({ emails: BURST, jobs: BURST });
    });

    it('answers the GraphQL mutation with TOO_MANY_REQUESTS, reason RATE_LIMITED and retryAfterSeconds', async () => {
      const result = await executeRaw(
        env.api,
        `mutation($input: EmailInput!) { ingestEmail(input: $input) { trackingId } }`,
        a.access,
        { input: { subject: 'Limited', from: 'ann@customer.example', body: 'Hi' } },
      );

      expect(result.data).toBeNull();
      expect(result.errors?.[0].extensions).toEqual({ code: 'TOO_MANY_REQUESTS', reason: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(await storedCounts(env, a.tenant.id)).toEqual({ emails: BURST, jobs: BURST });
    });
  });

  describe('with a refill of 1 per second and a burst of 1', () => {
    let env: TestEnv;
    let caller: Caller;

    beforeAll(async () => {
      env = await createTestEnv({ INGEST_RATE_LIMIT_PER_SECOND: '1', INGEST_RATE_LIMIT_BURST: '1' });
      caller = await callerFactory(env, 'integration');
    });
    afterAll(() => env.close());

    it('accepts again once a token has flowed back in', async () => {
      const first = await ingest(env, caller.access, emailFactory());
      const second = await ingest(env, caller.access, emailFactory());
      await sleep(1100);
      const third = await ingest(env, caller.access, emailFactory());

      expect([first.statusCode, second.statusCode, third.statusCode]).toEqual([202, 429, 202]);
      expect(second.headers['retry-after']).toBe('1');
      expect(await storedCounts(env, caller.tenant.id)).toEqual({ emails: 2, jobs: 2 });
    });
  });

  describe('by default (INGEST_RATE_LIMIT_PER_SECOND unset)', () => {
    let env: TestEnv;
    let caller: Caller;

    beforeAll(async () => {
      env = await createTestEnv();
      caller = await callerFactory(env, 'integration');
    });
    afterAll(() => env.close());

    it('is off: 100 requests at once from one tenant are all accepted and stored', async () => {
      expect(env.config.INGEST_RATE_LIMIT_PER_SECOND).toBe(0);

      const responses = await Promise.all(Array.from({ length: 100 }, () => ingest(env, caller.access, emailFactory())));

      expect(responses.filter((response) => response.statusCode !== 202).map((response) => response.statusCode)).toEqual([]);
      expect(await storedCounts(env, caller.tenant.id)).toEqual({ emails: 100, jobs: 100 });
    });
  });
});
