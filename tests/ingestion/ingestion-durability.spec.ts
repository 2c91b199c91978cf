import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type PebbleApp } from '../../src/app';
import { Database } from '../../src/platform/db/database';
import { createLogger } from '../../src/platform/logging/logger';
import { createServices, type Services } from '../../src/services';
import { callerFactory, type Caller } from '../factories';
import { startPostgresProxy, type PostgresProxy } from '../setup/postgres-proxy';
import { createTestEnv, TEST_JWT_SECRET, type TestEnv } from '../setup/test-env';

const INGEST = '/api/v1/ingestion/email/';

interface Submission {
  subject: string;
  from: string;
  body: string;
  attachment_urls?: string[];
}

const email = (subject: string): Submission => ({
  subject,
  from: 'Ann Lee <ann@acme.example>',
  body: `Body of ${subject}`,
  attachment_urls: ['https://files.acme.example/quote.pdf'],
});

function submit(app: FastifyInstance, caller: Caller, submission: Submission): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: INGEST,
    headers: { authorization: `Bearer ${caller.access}`, 'content-type': 'application/json' },
    payload: JSON.stringify(submission),
  });
}

interface StoredJob {
  id: string;
  state: string;
  data: { tenantId: string; emailId: string; correlationId: string };
}

/** What a tenant has in Postgres, read as the owner (no RLS): its emails and its `email_processing` jobs. */
async function storedFor(env: TestEnv, caller: Caller): Promise<{ emails: { id: string; subject: string }[]; jobs: StoredJob[] }> {
  const emails = await env.ownerDb.query<{ id: string; subject: string }>('select id, subject from emails where tenant_id = ? order by subject', [caller.tenant.id]);
  const jobs = await env.ownerDb.query<StoredJob>(
    `select id, state, data from pgboss.job where name = 'email_processing' and data->>'tenantId' = ?`,
    [caller.tenant.id],
  );
  return { emails, jobs };
}

const sorted = (values: string[]) => [...values].sort();

/** Every 202 left exactly its email and its job behind, and nothing else was stored for the tenant. */
async function expectStoredExactly(env: TestEnv, caller: Caller, trackingIds: string[]): Promise<void> {
  const { emails, jobs } = await storedFor(env, caller);
  expect(sorted(emails.map((row) => row.id))).toEqual(sorted(trackingIds));
  expect(sorted(jobs.map((job) => job.id))).toEqual(sorted(trackingIds));
  for (const job of jobs) expect(job.data).toMatchObject({ tenantId: caller.tenant.id, emailId: job.id });
}

/** The `pebble_ingestion_batch_size` histogram as `/metrics` shows it. */
async function batchSizes(app: FastifyInstance): Promise<{ count: number; sum: number; singles: number }> {
  const { body } = await app.inject({ method: 'GET', url: '/metrics' });
  const read = (pattern: RegExp) => Number(pattern.exec(body)?.[1] ?? 'NaN');
  return {
    count: read(/^pebble_ingestion_batch_size_count (\d+)$/m),
    sum: read(/^pebble_ingestion_batch_size_sum (\d+)$/m),
    singles: read(/^pebble_ingestion_batch_size_bucket\{le="1"\} (\d+)$/m),
  };
}

/**
 * Installs a row-level `before insert` trigger as the owner for the duration of `work`. `body` is the
 * PL/pgSQL between `begin` and `end`; `return new` is appended.
 */
async function withTrigger<T>(env: TestEnv, table: 'emails' | 'pgboss.job', body: string, work: () => Promise<T>): Promise<T> {
  await env.ownerDb.query(`create function public.test_fault() returns trigger language plpgsql as $$ begin ${body} return new; end $$`);
  await env.ownerDb.query(`create trigger test_fault before insert on ${table} for each row execute function public.test_fault()`);
  try {
    return await work();
  } finally {
    // Waits for any transaction still inside the trigger, so what follows sees its final outcome.
    await env.ownerDb.query(`drop trigger test_fault on ${table}`);
    await env.ownerDb.query('drop function public.test_fault()');
  }
}

const statuses = (responses: LightMyRequestResponse[]) => responses.map((response) => response.statusCode);
const trackingIdsOf = (responses: LightMyRequestResponse[]) =>
  responses.filter((response) => response.statusCode === 202).map((response) => response.json().tracking_id as string);

describe('email ingestion durability (US-BKP-003)', () => {
  let env: TestEnv;

  beforeAll(async () => {
    // A generous wait, so that requests fired together really share one group-commit batch.
    env = await createTestEnv({ INGEST_BATCH_MAX_WAIT_MS: '50' });
  });
  afterAll(() => env.close());

  describe('a fault inside the transaction', () => {
    it('a trigger on pgboss.job (partitioned) reaches the email_processing partition', async () => {
      await withTrigger(env, 'pgboss.job', `raise exception 'injected job fault';`, async () => {
        const partitions = await env.ownerDb.query<{ relname: string }>(
          `select c.relname from pg_trigger t join pg_class c on c.oid = t.tgrelid
           where t.tgname = 'test_fault' and c.relname = (select partition_name from pgboss.queue where name = 'email_processing')`,
        );
        expect(partitions).toHaveLength(1);
      });
    });

    it('answers 500 and stores neither the email nor the job when inserting the job fails', async () => {
      const caller = await callerFactory(env, 'integration');
      const response = await withTrigger(env, 'pgboss.job', `raise exception 'injected job fault';`, () => submit(env.api.app, caller, email('job fault')));
      expect(response.statusCode).toBe(500);
      expect(response.json()).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', detail: expect.stringContaining('injected job fault') });
      await expectStoredExactly(env, caller, []);
    });

    it('fails every request of a shared batch when every job insert fails, and stores none of them', async () => {
      const caller = await callerFactory(env, 'integration');
      const before = await batchSizes(env.api.app);
      const responses = await withTrigger(env, 'pgboss.job', `raise exception 'injected job fault';`, () =>
        Promise.all(['a', 'b', 'c', 'd'].map((name) => submit(env.api.app, caller, email(`all bad ${name}`)))),
      );
      expect(statuses(responses)).toEqual([500, 500, 500, 500]);
      const after = await batchSizes(env.api.app);
      expect(after.count - before.count - (after.singles - before.singles)).toBeGreaterThanOrEqual(1); // they did share a batch
      await expectStoredExactly(env, caller, []);
    });

    it('rolls the email back when pg-boss silently skips its job (JobWriter counts the inserted rows)', async () => {
      const caller = await callerFactory(env, 'integration');
      // A before-insert trigger returning null drops the row without an error, like a missing queue would.
      const response = await withTrigger(env, 'pgboss.job', `if true then return null; end if;`, () => submit(env.api.app, caller, email('job skipped')));
      expect(response.statusCode).toBe(500);
      expect(response.json()).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', detail: expect.stringMatching(/Enqueued 0 of \d+ jobs/) });
      await expectStoredExactly(env, caller, []);
    });

    it('answers 500 and enqueues no job when inserting the email fails', async () => {
      const caller = await callerFactory(env, 'integration');
      const response = await withTrigger(env, 'emails', `raise exception 'injected email fault';`, () => submit(env.api.app, caller, email('email fault')));
      expect(response.statusCode).toBe(500);
      expect(response.json()).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', detail: expect.stringContaining('injected email fault') });
      await expectStoredExactly(env, caller, []);
    });

    it('fails only the poisoned request of a batch; its neighbours get 202 and are stored with their jobs', async () => {
      const caller = await callerFactory(env, 'integration');
      const subjects = ['n1', 'n2', 'poison', 'n3', 'n4', 'n5'];
      const before = await batchSizes(env.api.app);
      const responses = await withTrigger(env, 'emails', `if new.subject = 'poison' then raise exception 'poisoned email'; end if;`, () =>
        Promise.all(subjects.map((subject) => submit(env.api.app, caller, email(subject)))),
      );

      expect(statuses(responses)).toEqual([202, 202, 500, 202, 202, 202]);
      expect(responses[2].json()).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', detail: expect.stringContaining('poisoned email') });
      const after = await batchSizes(env.api.app);
      expect(after.count - before.count - (after.singles - before.singles)).toBeGreaterThanOrEqual(1); // the poison had neighbours

      await expectStoredExactly(env, caller, trackingIdsOf(responses));
      const { emails } = await storedFor(env, caller);
      const subjectById = new Map(emails.map((row) => [row.id, row.subject]));
      responses.forEach((response, index) => {
        if (response.statusCode === 202) expect(subjectById.get(response.json().tracking_id)).toBe(subjects[index]);
      });
    });
  });

  describe('300 concurrent requests', () => {
    it('store exactly 300 emails and 300 jobs, each job carrying its email id, in far fewer than 300 transactions', async () => {
      const caller = await callerFactory(env, 'integration');
      const before = await batchSizes(env.api.app);
      const subjects = Array.from({ length: 300 }, (_, i) => `bulk ${String(i).padStart(3, '0')}`);
      const responses = await Promise.all(subjects.map((subject) => submit(env.api.app, caller, email(subject))));

      expect(statuses(responses).filter((status) => status !== 202)).toEqual([]);
      for (const response of responses) expect(response.json()).toEqual({ tracking_id: expect.any(String), status: 'queued' });
      const trackingIds = trackingIdsOf(responses);
      expect(new Set(trackingIds).size).toBe(300);

      const { emails, jobs } = await storedFor(env, caller);
      expect(emails).toHaveLength(300);
      expect(jobs).toHaveLength(300);
      await expectStoredExactly(env, caller, trackingIds);
      for (const job of jobs) expect(job).toMatchObject({ state: 'created', data: { emailId: job.id, tenantId: caller.tenant.id } });
      // Each caller got the tracking id of its own email, not a neighbour's from the same batch.
      const subjectById = new Map(emails.map((row) => [row.id, row.subject]));
      expect(trackingIds.map((id) => subjectById.get(id))).toEqual(subjects);

      const after = await batchSizes(env.api.app);
      expect(after.sum - before.sum).toBe(300);
      expect(after.count - before.count).toBeLessThan(300);
    });
  });

  describe('Postgres unreachable', () => {
    let proxy: PostgresProxy;
    let db: Database;
    let services: Services;
    let api: PebbleApp;
    let caller: Caller;

    beforeAll(async () => {
      proxy = await startPostgresProxy(env.appUrl);
      db = await Database.connect(proxy.url, 2, env.config.INGEST_BATCH_CONCURRENCY);
      services = createServices(env.config, TEST_JWT_SECRET, db);
      api = await buildApp({ config: env.config, logger: createLogger('silent'), db, services });
      caller = await callerFactory(env, 'integration');
    });
    afterAll(async () => {
      await api.close();
      await services.close();
      await db.close();
      await proxy.close();
    });

    it('answers 503 DATABASE_UNAVAILABLE with Retry-After, never 202, and after restore() the same app answers 202 again', async () => {
      const accepted: string[] = [];
      // Reachable: accepted (this also loads the sender blacklist, so the outage hits the group commit itself).
      const first = await submit(api.app, caller, email('before the outage'));
      expect(first.statusCode).toBe(202);
      accepted.push(first.json().tracking_id);

      await proxy.cut();
      const during = await Promise.all(['x', 'y', 'z'].map((name) => submit(api.app, caller, email(`during ${name}`))));
      for (const response of during) {
        expect(response.statusCode).toBe(503);
        expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
        expect(response.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      }
      const again = await submit(api.app, caller, email('still during'));
      expect(again.statusCode).toBe(503);

      await proxy.restore();
      // The pools reconnect lazily: poll, and accept nothing but 503 until the first 202.
      const deadline = Date.now() + 10_000;
      let recovered: LightMyRequestResponse | undefined;
      while (!recovered && Date.now() < deadline) {
        const response = await submit(api.app, caller, email('after the outage'));
        if (response.statusCode === 202) recovered = response;
        else {
          expect(response.statusCode).toBe(503);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      expect(recovered?.statusCode).toBe(202);
      accepted.push(recovered!.json().tracking_id);

      await expectStoredExactly(env, caller, accepted);
      const { emails } = await storedFor(env, caller);
      expect(emails.map((row) => row.subject)).toEqual(['after the outage', 'before the outage']);
    });

    it('answers 503 to a request whose transaction is cut mid-way, and Postgres keeps nothing of it', async () => {
      const ready = await submit(api.app, caller, email('warm up'));
      expect(ready.statusCode).toBe(202);
      const { emails: beforeRows } = await storedFor(env, caller);

      const response = await withTrigger(env, 'emails', `perform pg_sleep(0.5);`, async () => {
        const inFlight = submit(api.app, caller, email('cut mid-transaction'));
        // Wait until the transaction sits in the trigger, then take the database away.
        await waitFor(async () => (await env.ownerDb.query(`select 1 from pg_stat_activity where datname = current_database() and query like '%insert into emails%' and wait_event = 'PgSleep'`)).length > 0);
        await proxy.cut();
        return inFlight;
      });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(response.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });

      await proxy.restore();
      // The trigger was dropped, so the cut transaction has ended: it must not have committed.
      await expectStoredExactly(env, caller, [...beforeRows.map((row) => row.id)]);
    });
  });
});

describe('email ingestion under saturation (US-BKP-003)', () => {
  let env: TestEnv;

  beforeAll(async () => {
    // One email per transaction, one transaction at a time: maxPending = 1 × 32.
    env = await createTestEnv({ INGEST_BATCH_MAX_ITEMS: '1', INGEST_BATCH_CONCURRENCY: '1', INGEST_BATCH_MAX_WAIT_MS: '0' });
  });
  afterAll(() => env.close());

  it('refuses what it cannot queue with 503 OVERLOADED and Retry-After, and stores every request it answered 202', async () => {
    const caller = await callerFactory(env, 'integration');
    const warmUp = await submit(env.api.app, caller, email('warm up'));
    expect(warmUp.statusCode).toBe(202);

    const responses = await withTrigger(env, 'emails', `perform pg_sleep(0.2);`, () =>
      Promise.all(Array.from({ length: 60 }, (_, i) => submit(env.api.app, caller, email(`burst ${i}`)))),
    );

    const overloaded = responses.filter((response) => response.statusCode === 503);
    const accepted = responses.filter((response) => response.statusCode === 202);
    expect(statuses(responses).filter((status) => status !== 202 && status !== 503)).toEqual([]);
    expect(overloaded.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    // At most one in flight plus maxPending waiting can be accepted out of a burst.
    expect(accepted.length).toBeLessThanOrEqual(1 + 32);
    for (const response of overloaded) {
      expect(response.json()).toMatchObject({ code: 'OVERLOADED' });
      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    }
    await expectStoredExactly(env, caller, [warmUp.json().tracking_id, ...trackingIdsOf(accepted)]);
  }, 60_000);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
