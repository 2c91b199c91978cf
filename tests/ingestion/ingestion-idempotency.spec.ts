import { randomUUID } from 'node:crypto';
import { callerFactory, type Caller } from '../factories';
import { executeRaw } from '../graphql/execute';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { emailFactory, ingest, INGEST_EMAIL, storedCounts, type Receipt } from './factories';

const newKey = () => `order-${randomUUID()}`;

async function ledger(env: TestEnv, tenantId: string, key: string): Promise<string[]> {
  const rows = await env.ownerDb.query<{ email_id: string }>('select email_id from ingestion_keys where tenant_id = ? and key = ?', [tenantId, key]);
  return rows.map((row) => row.email_id);
}

/** 20 requests with one key at once: one email and one job, every answer naming it. */
async function expectOneEmailForConcurrentRepeats(env: TestEnv, caller: Caller): Promise<void> {
  const key = newKey();
  const before = await storedCounts(env, caller.tenant.id);

  const responses = await Promise.all(Array.from({ length: 20 }, () => ingest(env, caller.access, emailFactory(), { 'idempotency-key': key })));

  expect(responses.map((response) => response.statusCode)).toEqual(Array(20).fill(202));
  const trackingIds = new Set(responses.map((response) => response.json().tracking_id));
  expect(trackingIds.size).toBe(1);
  const [trackingId] = trackingIds;
  expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
  expect(await storedCounts(env, caller.tenant.id)).toEqual({ emails: before.emails + 1, jobs: before.jobs + 1 });
  const [{ count }] = await env.ownerDb.query<{ count: string }>(
    `select count(*) from emails e join pgboss.job j on j.id = e.id and j.name = 'email_processing' where e.id = ?`,
    [trackingId],
  );
  expect(Number(count)).toBe(1);
  expect(await ledger(env, caller.tenant.id, key)).toEqual([trackingId]);
}

describe('Idempotency-Key on POST /api/v1/ingestion/email/', () => {
  let env: TestEnv;
  let a: Caller;
  let b: Caller;

  beforeAll(async () => {
    env = await createTestEnv();
    [a, b] = await Promise.all([callerFactory(env, 'integration'), callerFactory(env, 'integration')]);
  });
  afterAll(() => env.close());

  it('answers a repeated key with the first tracking id and idempotent-replayed: true, storing nothing new', async () => {
    const key = newKey();
    const first = await ingest(env, a.access, emailFactory({ subject: 'First' }), { 'idempotency-key': key });
    const afterFirst = await storedCounts(env, a.tenant.id);

    const repeat = await ingest(env, a.access, emailFactory({ subject: 'Second, different body' }), { 'idempotency-key': key });

    expect(first.statusCode).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(repeat.statusCode).toBe(202);
    expect(repeat.json()).toEqual(first.json());
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(await storedCounts(env, a.tenant.id)).toEqual(afterFirst);
    const subjects = await env.ownerDb.query<{ subject: string }>('select subject from emails where tenant_id = ? and subject in (?, ?)', [
      a.tenant.id,
      'First',
      'Second, different body',
    ]);
    expect(subjects).toEqual([{ subject: 'First' }]);
  });

  it('stores a new email for every request without a key, even for an identical body', async () => {
    const submission = emailFactory();
    const before = await storedCounts(env, a.tenant.id);

    const [one, two] = [await ingest(env, a.access, submission), await ingest(env, a.access, submission)];

    expect(one.json().tracking_id).not.toBe(two.json().tracking_id);
    expect(await storedCounts(env, a.tenant.id)).toEqual({ emails: before.emails + 2, jobs: before.jobs + 2 });
  });

  it('answers 20 concurrent requests with one key with one tracking id, one email row and one job', async () => {
    await expectOneEmailForConcurrentRepeats(env, a);
  });

  it('keeps keys per tenant: the same key in another tenant stores that tenant its own email', async () => {
    const key = newKey();
    const inA = await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });
    const bBefore = await storedCounts(env, b.tenant.id);

    const inB = await ingest(env, b.access, emailFactory(), { 'idempotency-key': key });
    const inAAgain = await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });

    expect(inB.statusCode).toBe(202);
    expect(inB.headers['idempotent-replayed']).toBeUndefined();
    expect(inB.json().tracking_id).not.toBe(inA.json().tracking_id);
    expect(await storedCounts(env, b.tenant.id)).toEqual({ emails: bBefore.emails + 1, jobs: bBefore.jobs + 1 });
    const [row] = await env.ownerDb.query<{ tenant_id: string }>('select tenant_id from emails where id = ?', [inB.json().tracking_id]);
    expect(row.tenant_id).toBe(b.tenant.id);
    expect(inAAgain.json().tracking_id).toBe(inA.json().tracking_id);
    expect(inAAgain.headers['idempotent-replayed']).toBe('true');
  });

  it('lets a new email take over a key older than 24 hours, and replays the new one from then on', async () => {
    const key = newKey();
    const old = await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });
    await env.ownerDb.query(`update ingestion_keys set created_at = now() - interval '25 hours' where tenant_id = ? and key = ?`, [a.tenant.id, key]);
    const before = await storedCounts(env, a.tenant.id);

    const fresh = await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });
    const repeat = await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });

    expect(fresh.statusCode).toBe(202);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect(fresh.json().tracking_id).not.toBe(old.json().tracking_id);
    expect(await storedCounts(env, a.tenant.id)).toEqual({ emails: before.emails + 1, jobs: before.jobs + 1 });
    expect(await ledger(env, a.tenant.id, key)).toEqual([fresh.json().tracking_id]);
    expect(repeat.json().tracking_id).toBe(fresh.json().tracking_id);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    // The first email stays: only the key moved on.
    const [{ count }] = await env.ownerDb.query<{ count: string }>('select count(*) from emails where id = ?', [old.json().tracking_id]);
    expect(Number(count)).toBe(1);
  });

  it('still replays a key used 23 hours ago', async () => {
    const key = newKey();
    const first = await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });
    await env.ownerDb.query(`update ingestion_keys set created_at = now() - interval '23 hours' where tenant_id = ? and key = ?`, [a.tenant.id, key]);

    const repeat = await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });

    expect(repeat.json().tracking_id).toBe(first.json().tracking_id);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
  });

  it('accepts a key of 255 printable ASCII characters', async () => {
    const key = `${'k'.repeat(250)}!~#:/`;

    const response = await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });

    expect(response.statusCode).toBe(202);
    expect(await ledger(env, a.tenant.id, key)).toEqual([response.json().tracking_id]);
  });

  it.each([
    { problem: 'contains a space', key: 'order 42' },
    { problem: 'is longer than 255 characters', key: 'k'.repeat(256) },
    { problem: 'is empty', key: '' },
    { problem: 'contains a non-ASCII character', key: 'bestellung-ä' },
  ])('answers 400 naming Idempotency-Key when the key $problem, storing nothing', async ({ key }) => {
    const before = await storedCounts(env, a.tenant.id);

    const response = await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'BAD_USER_INPUT', errors: [{ field: 'Idempotency-Key', message: expect.any(String) }] });
    expect(await storedCounts(env, a.tenant.id)).toEqual(before);
  });

  describe('when every request commits in its own transaction (INGEST_BATCH_MAX_ITEMS=1)', () => {
    let single: TestEnv;
    let caller: Caller;

    beforeAll(async () => {
      single = await createTestEnv({ INGEST_BATCH_MAX_ITEMS: '1' });
      caller = await callerFactory(single, 'integration');
    });
    afterAll(() => single.close());

    it('still answers 20 concurrent requests with one key with one tracking id, one email row and one job', async () => {
      await expectOneEmailForConcurrentRepeats(single, caller);
    });
  });

  describe('the idempotencyKey argument of the GraphQL ingestEmail mutation', () => {
    const submit = (caller: Caller, key: string | null, subject = 'Via GraphQL') =>
      executeRaw(env.api, INGEST_EMAIL, caller.access, { input: { subject, from: 'ann@customer.example', body: 'Hi' }, key });

    it('answers a repeated key with the first receipt marked replayed, storing nothing new', async () => {
      const key = newKey();
      const first = await submit(a, key, 'First');
      const afterFirst = await storedCounts(env, a.tenant.id);

      const repeat = await submit(a, key, 'Second');

      const firstReceipt = (first.data as { ingestEmail: Receipt }).ingestEmail;
      expect(firstReceipt).toMatchObject({ status: 'queued', replayed: false });
      expect((repeat.data as { ingestEmail: Receipt }).ingestEmail).toEqual({ ...firstReceipt, replayed: true });
      expect(await storedCounts(env, a.tenant.id)).toEqual(afterFirst);
    });

    it('shares the ledger with REST: a key first used over REST replays that email on GraphQL', async () => {
      const key = newKey();
      const rest = await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });

      const graphql = await submit(a, key);

      expect((graphql.data as { ingestEmail: Receipt }).ingestEmail).toEqual({ trackingId: rest.json().tracking_id, status: 'queued', replayed: true });
    });

    it('keeps GraphQL keys per tenant too', async () => {
      const key = newKey();
      const inA = await submit(a, key);

      const inB = await submit(b, key);

      expect((inB.data as { ingestEmail: Receipt }).ingestEmail.replayed).toBe(false);
      expect((inB.data as { ingestEmail: Receipt }).ingestEmail.trackingId).not.toBe((inA.data as { ingestEmail: Receipt }).ingestEmail.trackingId);
    });

    it('answers BAD_USER_INPUT naming the idempotencyKey argument for an invalid key, storing nothing', async () => {
      const before = await storedCounts(env, a.tenant.id);

      const result = await submit(a, 'has a space');

      expect(result.data).toBeNull();
      expect(result.errors?.[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: [{ field: 'idempotencyKey', message: expect.any(String) }],
      });
      expect(await storedCounts(env, a.tenant.id)).toEqual(before);
    });
  });
});
