import { randomUUID } from 'node:crypto';
import type { Role } from '../../src/platform/context/auth-context';
import { callerFactory, type Caller } from '../factories';
import { executeRaw } from '../graphql/execute';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { emailFactory, ingest, INGEST_EMAIL, ingestionCounter, storedCounts, track, type Receipt } from './factories';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const INGESTION = `
  query Ingestion($id: ID!) {
    ingestion(trackingId: $id) {
      trackingId status subject fromAddress messageId sourceSystem acceptedAt updatedAt
      processingStartedAt finishedAt cardId lastError
    }
  }`;

describe('following an ingested email (US-BKP-003)', () => {
  let env: TestEnv;
  let a: Caller;
  let b: Caller;

  beforeAll(async () => {
    env = await createTestEnv();
    [a, b] = await Promise.all([callerFactory(env, 'integration'), callerFactory(env, 'integration')]);
  });
  afterAll(() => env.close());

  /** created_at of the email row in epoch milliseconds, as the API rounds it. */
  async function acceptedAtMs(trackingId: string): Promise<number> {
    const [row] = await env.ownerDb.query<{ ms: string }>('select floor(extract(epoch from created_at) * 1000)::bigint as ms from emails where id = ?', [trackingId]);
    return Number(row.ms);
  }

  describe('GET /api/v1/ingestion/email/<tracking_id>/', () => {
    it('answers 200 with the status queued and what was accepted, and no card yet', async () => {
      const submission = emailFactory({ subject: 'Where is my parcel?', from: 'Ann Lee <ann@customer.example>', source_system: 'zendesk-bridge' });
      const trackingId = (await ingest(env, a.access, submission)).json().tracking_id;

      const response = await track(env, a.access, trackingId);

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        tracking_id: trackingId,
        status: 'queued',
        subject: 'Where is my parcel?',
        from: 'ann@customer.example',
        message_id: submission.message_id,
        source_system: 'zendesk-bridge',
        accepted_at: expect.any(String),
        updated_at: expect.any(String),
        processing_started_at: null,
        finished_at: null,
        card_id: null,
        last_error: null,
      });
      expect(Date.parse(response.json().accepted_at)).toBe(await acceptedAtMs(trackingId));
    });

    it('follows the status the worker writes', async () => {
      const trackingId = (await ingest(env, a.access, emailFactory())).json().tracking_id;
      await env.ownerDb.query(`update emails set status = 'processing', processing_started_at = now() where id = ?`, [trackingId]);

      const response = await track(env, a.access, trackingId);

      expect(response.json()).toMatchObject({ status: 'processing', processing_started_at: expect.any(String) });
    });

    it("answers 404 for another tenant's tracking id", async () => {
      const theirs = (await ingest(env, b.access, emailFactory())).json().tracking_id;

      const response = await track(env, a.access, theirs);

      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ detail: `Ingestion ${theirs} not found`, code: 'NOT_FOUND' });
      expect((await track(env, b.access, theirs)).statusCode).toBe(200);
    });

    it.each([
      { kind: 'a garbage id', id: 'not-a-uuid' },
      { kind: 'an unknown uuid', id: randomUUID() },
      { kind: 'a SQL-looking id', id: "1' or '1'='1" },
    ])('answers 404 for $kind', async ({ id }) => {
      const response = await track(env, a.access, id);

      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('NOT_FOUND');
    });

    it('answers 401 without a token', async () => {
      const trackingId = (await ingest(env, a.access, emailFactory())).json().tracking_id;

      const response = await env.api.app.inject({ method: 'GET', url: `/api/v1/ingestion/email/${trackingId}/` });

      expect(response.statusCode).toBe(401);
    });
  });

  describe('GraphQL ingestion(trackingId)', () => {
    it('answers the status queued and what was accepted', async () => {
      const submission = emailFactory({ subject: 'Refund please', from: 'bob@customer.example' });
      const trackingId = (await ingest(env, a.access, submission)).json().tracking_id;

      const result = await executeRaw(env.api, INGESTION, a.access, { id: trackingId });

      expect(result.errors).toBeUndefined();
      const ingestion = (result.data as { ingestion: Record<string, unknown> }).ingestion;
      expect(ingestion).toEqual({
        trackingId,
        status: 'queued',
        subject: 'Refund please',
        fromAddress: 'bob@customer.example',
        messageId: submission.message_id,
        sourceSystem: 'email-listener',
        acceptedAt: expect.any(String),
        updatedAt: expect.any(String),
        processingStartedAt: null,
        finishedAt: null,
        cardId: null,
        lastError: null,
      });
      expect(Date.parse(ingestion.acceptedAt as string)).toBe(await acceptedAtMs(trackingId));
    });

    it.each([
      { kind: "another tenant's tracking id", id: async () => (await ingest(env, b.access, emailFactory())).json().tracking_id as string },
      { kind: 'a garbage id', id: async () => 'garbage' },
      { kind: 'an unknown uuid', id: async () => randomUUID() },
    ])('answers NOT_FOUND for $kind', async ({ id }) => {
      const result = await executeRaw(env.api, INGESTION, a.access, { id: await id() });

      expect(result.data).toBeNull();
      expect(result.errors).toEqual([expect.objectContaining({ path: ['ingestion'], extensions: { code: 'NOT_FOUND', reason: 'NOT_FOUND' } })]);
    });
  });

  describe('GraphQL ingestEmail', () => {
    it('answers a queued receipt after storing the email and its job, camelCase fields mapped to the columns', async () => {
      const messageId = `<${randomUUID()}@acme.example>`;
      const input = {
        subject: 'Damaged goods',
        from: 'Ann Lee <ann@customer.example>',
        body: 'The box was crushed.',
        attachmentUrls: ['https://files.customer.example/photo.jpg'],
        messageId,
        inReplyTo: '<earlier@acme.example>',
        references: ['<root@acme.example>', '<earlier@acme.example>'],
        to: ['support@acme.example'],
        cc: ['Bob <bob@customer.example>'],
        receivedAt: '2026-03-01T09:30:00Z',
        sourceSystem: 'graph-bridge',
      };

      const result = await executeRaw(env.api, INGEST_EMAIL, a.access, { input });

      expect(result.errors).toBeUndefined();
      const receipt = (result.data as { ingestEmail: Receipt }).ingestEmail;
      expect(receipt).toEqual({ trackingId: expect.stringMatching(UUID), status: 'queued', replayed: false });
      const [row] = await env.ownerDb.query(
        `select tenant_id, subject, from_address, from_name, body, attachment_urls, message_id, in_reply_to, reference_ids, to_addresses,
           cc_addresses, (extract(epoch from received_at) * 1000)::bigint as received_ms, source_system, correlation_id, raw_content_type
         from emails where id = ?`,
        [receipt.trackingId],
      );
      expect(row).toEqual({
        tenant_id: a.tenant.id,
        subject: 'Damaged goods',
        from_address: 'ann@customer.example',
        from_name: 'Ann Lee',
        body: 'The box was crushed.',
        attachment_urls: ['https://files.customer.example/photo.jpg'],
        message_id: messageId,
        in_reply_to: '<earlier@acme.example>',
        reference_ids: ['<root@acme.example>', '<earlier@acme.example>'],
        to_addresses: ['support@acme.example'],
        cc_addresses: ['bob@customer.example'],
        received_ms: String(Date.parse('2026-03-01T09:30:00Z')),
        source_system: 'graph-bridge',
        correlation_id: result.headers['x-correlation-id'],
        raw_content_type: 'application/json',
      });
      const jobs = await env.ownerDb.query(`select data from pgboss.job where name = 'email_processing' and id = ?`, [receipt.trackingId]);
      expect(jobs).toEqual([{ data: { tenantId: a.tenant.id, emailId: receipt.trackingId, correlationId: result.headers['x-correlation-id'] } }]);
    });

    const valid = { subject: 'Hello', from: 'ann@customer.example', body: 'Hi' };
    it.each([
      { problem: 'an ftp attachment URL', input: { ...valid, attachmentUrls: ['https://f.example/a', 'ftp://f.example/b'] }, fields: ['input.attachmentUrls.1'] },
      { problem: '51 attachment URLs', input: { ...valid, attachmentUrls: Array.from({ length: 51 }, (_, i) => `https://f.example/${i}`) }, fields: ['input.attachmentUrls'] },
      { problem: 'a sender that is no address', input: { ...valid, from: 'Ann Lee' }, fields: ['input.from'] },
      { problem: 'a received time without zone', input: { ...valid, receivedAt: '2026-03-01T09:30:00' }, fields: ['input.receivedAt'] },
      { problem: 'a bad recipient', input: { ...valid, to: ['support@acme.example', 'nobody'] }, fields: ['input.to'] },
      { problem: 'a bad cc recipient', input: { ...valid, cc: ['@acme.example'] }, fields: ['input.cc'] },
      { problem: 'a bad source system', input: { ...valid, sourceSystem: 'Graph Bridge' }, fields: ['input.sourceSystem'] },
      { problem: 'a blank message id', input: { ...valid, messageId: '  ' }, fields: ['input.messageId'] },
      { problem: 'a blank in-reply-to', input: { ...valid, inReplyTo: '' }, fields: ['input.inReplyTo'] },
      { problem: 'a subject over the limit', input: { ...valid, subject: 's'.repeat(1001) }, fields: ['input.subject'] },
      { problem: 'a NUL in the body', input: { ...valid, body: 'a\u0000b' }, fields: ['input.body'] },
      {
        problem: 'several bad fields',
        input: { ...valid, from: 'nobody', attachmentUrls: ['mailto:x@y.example'], receivedAt: 'soon' },
        fields: ['input.attachmentUrls.0', 'input.from', 'input.receivedAt'],
      },
    ])('answers BAD_USER_INPUT naming $fields for $problem, storing nothing', async ({ input, fields }) => {
      const before = await storedCounts(env, a.tenant.id);

      const result = await executeRaw(env.api, INGEST_EMAIL, a.access, { input });

      expect(result.data).toBeNull();
      expect(result.errors).toHaveLength(1);
      const extensions = result.errors![0].extensions as { code: string; fields: { field: string; message: string }[] };
      expect(extensions.code).toBe('BAD_USER_INPUT');
      expect(extensions.fields.map((problem) => problem.field).sort()).toEqual(fields);
      expect(extensions.fields.every((problem) => typeof problem.message === 'string' && problem.message.length > 0)).toBe(true);
      expect(await storedCounts(env, a.tenant.id)).toEqual(before);
    });

    it.each<Role>(['member', 'manager'])('answers FORBIDDEN to the %s role and stores nothing', async (role) => {
      const caller = await callerFactory(env, role, a.tenant);
      const before = await storedCounts(env, a.tenant.id);

      const result = await executeRaw(env.api, INGEST_EMAIL, caller.access, { input: valid });

      expect(result.data).toBeNull();
      expect(result.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
      expect(await storedCounts(env, a.tenant.id)).toEqual(before);
    });

    it('answers the admin role with a receipt', async () => {
      const admin = await callerFactory(env, 'admin', a.tenant);

      const result = await executeRaw(env.api, INGEST_EMAIL, admin.access, { input: valid });

      expect((result.data as { ingestEmail: Receipt }).ingestEmail).toMatchObject({ status: 'queued', replayed: false });
    });

    it('answers UNAUTHENTICATED without a token and stores nothing', async () => {
      const before = await storedCounts(env);

      const result = await executeRaw(env.api, INGEST_EMAIL, undefined, { input: valid });

      expect(result.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(await storedCounts(env)).toEqual(before);
    });
  });

  describe('GET /metrics pebble_ingestion_emails_total', () => {
    it('counts an accepted email under outcome="accepted"', async () => {
      const before = await ingestionCounter(env, 'accepted');

      await ingest(env, a.access, emailFactory());
      await executeRaw(env.api, INGEST_EMAIL, a.access, { input: { subject: 'Hello', from: 'ann@customer.example', body: 'Hi' } });

      expect(await ingestionCounter(env, 'accepted')).toBe(before + 2);
    });

    it('counts a refused submission under outcome="invalid", and not as accepted', async () => {
      const [invalidBefore, acceptedBefore] = [await ingestionCounter(env, 'invalid'), await ingestionCounter(env, 'accepted')];

      await ingest(env, a.access, emailFactory({ from: 'not an address' }));
      await ingest(env, a.access, emailFactory(), { 'idempotency-key': 'bad key' });

      expect(await ingestionCounter(env, 'invalid')).toBe(invalidBefore + 2);
      expect(await ingestionCounter(env, 'accepted')).toBe(acceptedBefore);
    });

    it('counts an Idempotency-Key replay under outcome="replayed", and the first one as accepted', async () => {
      const key = `metrics-${randomUUID()}`;
      const [replayedBefore, acceptedBefore] = [await ingestionCounter(env, 'replayed'), await ingestionCounter(env, 'accepted')];

      await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });
      await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });
      await ingest(env, a.access, emailFactory(), { 'idempotency-key': key });

      expect(await ingestionCounter(env, 'replayed')).toBe(replayedBefore + 2);
      expect(await ingestionCounter(env, 'accepted')).toBe(acceptedBefore + 1);
    });

    it('is served without authentication', async () => {
      const response = await env.api.app.inject({ method: 'GET', url: '/metrics' });

      expect(response.statusCode).toBe(200);
      expect(response.body).toMatch(/^# TYPE pebble_ingestion_emails_total counter$/m);
    });
  });
});
