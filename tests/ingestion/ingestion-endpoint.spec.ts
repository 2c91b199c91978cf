import { randomUUID } from 'node:crypto';
import type { Role } from '../../src/platform/context/auth-context';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { emailFactory, ingest, storedCounts, storedEmail, type EmailSubmissionBody } from './factories';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JSON_LIMIT_BYTES = 4096;
const MIME_LIMIT_BYTES = 2048;
const SUBJECT_MAX_CHARS = 64;
const TEXT_MAX_CHARS = 1024;

describe('POST /api/v1/ingestion/email/ (US-BKP-003)', () => {
  let env: TestEnv;
  let integration: Caller;

  beforeAll(async () => {
    env = await createTestEnv({
      INGEST_JSON_LIMIT_BYTES: String(JSON_LIMIT_BYTES),
      INGEST_MIME_LIMIT_BYTES: String(MIME_LIMIT_BYTES),
      INGEST_SUBJECT_MAX_CHARS: String(SUBJECT_MAX_CHARS),
      INGEST_TEXT_MAX_CHARS: String(TEXT_MAX_CHARS),
    });
    integration = await callerFactory(env, 'integration');
  });
  afterAll(() => env.close());

  /** Runs `request` and asserts it stored no email and no job in the caller's tenant. */
  async function expectNothingStored<T>(request: () => Promise<T>, tenantId = integration.tenant.id): Promise<T> {
    const before = await storedCounts(env, tenantId);
    const result = await request();
    expect(await storedCounts(env, tenantId)).toEqual(before);
    return result;
  }

  describe('accepting an email', () => {
    it('answers 202 with a tracking id only after the email row and its job are committed', async () => {
      const submission = emailFactory({
        subject: 'Invoice 4711 is wrong',
        from: 'Ann Lee <ann@customer.example>',
        body: 'Please check line 3.',
        attachment_urls: ['https://files.customer.example/invoice-4711.pdf', 'http://files.customer.example/scan.png'],
        in_reply_to: '<prev@acme.example>',
        received_at: '2026-03-01T09:30:00+02:00',
      });

      const response = await ingest(env, integration.access, submission);

      expect(response.statusCode).toBe(202);
      expect(response.json()).toEqual({ tracking_id: expect.stringMatching(UUID), status: 'queued' });
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      const row = await storedEmail(env, response.json().tracking_id);
      expect(row).toMatchObject({
        tenant_id: integration.tenant.id,
        status: 'queued',
        subject: 'Invoice 4711 is wrong',
        from_address: 'ann@customer.example',
        from_name: 'Ann Lee',
        to_addresses: [],
        cc_addresses: [],
        body: 'Please check line 3.',
        attachment_urls: ['https://files.customer.example/invoice-4711.pdf', 'http://files.customer.example/scan.png'],
        message_id: submission.message_id,
        in_reply_to: '<prev@acme.example>',
        reference_ids: [],
        raw_content_type: 'application/json',
        received_is_created: false,
      });
      expect(row.received_at.getTime()).toBe(Date.parse('2026-03-01T07:30:00Z'));
    });

    it('enqueues one email_processing job whose id is the tracking id, with the retry and dead-letter policy', async () => {
      const response = await ingest(env, integration.access, emailFactory());
      const trackingId = response.json().tracking_id;

      const jobs = await env.ownerDb.query(
        `select id, name, state, data, retry_limit, retry_backoff, dead_letter from pgboss.job where data->>'emailId' = ?`,
        [trackingId],
      );

      expect(jobs).toEqual([
        {
          id: trackingId,
          name: 'email_processing',
          state: 'created',
          data: { tenantId: integration.tenant.id, emailId: trackingId, correlationId: response.headers['x-correlation-id'] },
          retry_limit: 3,
          retry_backoff: true,
          dead_letter: 'email_dlq',
        },
      ]);
    });

    it('stores the correlation id of the response header on the email, and honours one the caller sent', async () => {
      const generated = await ingest(env, integration.access, emailFactory());
      const chosen = `listener-${randomUUID()}`;
      const honoured = await ingest(env, integration.access, emailFactory(), { 'x-correlation-id': chosen });

      expect(generated.headers['x-correlation-id']).toMatch(UUID);
      expect((await storedEmail(env, generated.json().tracking_id)).correlation_id).toBe(generated.headers['x-correlation-id']);
      expect(honoured.headers['x-correlation-id']).toBe(chosen);
      expect((await storedEmail(env, honoured.json().tracking_id)).correlation_id).toBe(chosen);
    });

    it('stores the exact request bytes in raw: whitespace, escapes and non-ASCII as sent', async () => {
      const payload = Buffer.from(
        `{ "subject" : "Grüße aus Köln 🚀",\n\t"from":"ann@customer.example" ,\r\n "body":"caf\\u00e9 \\"quoted\\"",\n"message_id": "<${randomUUID()}@acme.example>" }\n`,
      );

      const response = await ingest(env, integration.access, payload);

      expect(response.statusCode).toBe(202);
      const row = await storedEmail(env, response.json().tracking_id);
      expect(row.raw.equals(payload)).toBe(true);
      expect(row).toMatchObject({ subject: 'Grüße aus Köln 🚀', body: 'café "quoted"' });
    });

    it('stores the exact request bytes in raw even when a string holds invalid UTF-8', async () => {
      const payload = Buffer.concat([
        Buffer.from('{"subject":"broken '),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from(`","from":"ann@customer.example","body":"x","message_id":"<${randomUUID()}@acme.example>"}`),
      ]);

      const response = await ingest(env, integration.access, payload);

      expect(response.statusCode).toBe(202);
      const row = await storedEmail(env, response.json().tracking_id);
      expect(row.raw.toString('hex')).toBe(payload.toString('hex'));
    });

    it("takes the tenant from the token and source_system defaults to 'email-listener'", async () => {
      const response = await ingest(env, integration.access, emailFactory());

      expect(await storedEmail(env, response.json().tracking_id)).toMatchObject({
        tenant_id: integration.tenant.id,
        source_system: 'email-listener',
        received_is_created: true,
      });
    });

    it('stores a custom source_system', async () => {
      const response = await ingest(env, integration.access, emailFactory({ source_system: 'zendesk-bridge' }));

      expect(response.statusCode).toBe(202);
      expect((await storedEmail(env, response.json().tracking_id)).source_system).toBe('zendesk-bridge');
    });

    it.each([
      { sender: 'ann@customer.example', address: 'ann@customer.example', name: null },
      { sender: 'Ann Lee <ann@customer.example>', address: 'ann@customer.example', name: 'Ann Lee' },
      { sender: '"Lee, Ann (Sales)" <ann.lee+orders@customer.example>', address: 'ann.lee+orders@customer.example', name: 'Lee, Ann (Sales)' },
    ])('accepts the sender $sender as address $address with display name $name', async ({ sender, address, name }) => {
      const response = await ingest(env, integration.access, emailFactory({ from: sender }));

      expect(response.statusCode).toBe(202);
      expect(await storedEmail(env, response.json().tracking_id)).toMatchObject({ from_address: address, from_name: name });
    });

    it.each([
      { form: 'a string', value: '<a@mail.example> <b@mail.example>,<c@mail.example>' },
      { form: 'a list', value: ['<a@mail.example>', '<b@mail.example>', '<c@mail.example>'] },
    ])('stores references given as $form as a list', async ({ value }) => {
      const response = await ingest(env, integration.access, emailFactory({ references: value }));

      expect(response.statusCode).toBe(202);
      expect((await storedEmail(env, response.json().tracking_id)).reference_ids).toEqual(['<a@mail.example>', '<b@mail.example>', '<c@mail.example>']);
    });

    it.each([
      { form: 'comma-separated strings', to: 'Bob <bob@acme.example>, carol@acme.example', cc: '"Dan D." <dan@acme.example>' },
      { form: 'lists', to: ['Bob <bob@acme.example>', 'carol@acme.example'], cc: ['"Dan D." <dan@acme.example>'] },
    ])('stores to and cc given as $form as lists of addresses', async ({ to, cc }) => {
      const response = await ingest(env, integration.access, emailFactory({ to, cc }));

      expect(response.statusCode).toBe(202);
      expect(await storedEmail(env, response.json().tracking_id)).toMatchObject({
        to_addresses: ['bob@acme.example', 'carol@acme.example'],
        cc_addresses: ['dan@acme.example'],
      });
    });

    it('accepts 50 attachment URLs, a subject and a body exactly at their limits', async () => {
      const urls = Array.from({ length: 50 }, (_, i) => `https://f.example/${i}`);
      const submission = emailFactory({ subject: 's'.repeat(SUBJECT_MAX_CHARS), body: 'b'.repeat(TEXT_MAX_CHARS), attachment_urls: urls });

      const response = await ingest(env, integration.access, submission);

      expect(response.statusCode).toBe(202);
      const row = await storedEmail(env, response.json().tracking_id);
      expect(row.attachment_urls).toEqual(urls);
      expect([row.subject.length, row.body.length]).toEqual([SUBJECT_MAX_CHARS, TEXT_MAX_CHARS]);
    });
  });

  describe('refusing invalid input with 400 naming each bad field', () => {
    const urls = (count: number) => Array.from({ length: count }, (_, i) => `https://f.example/${i}`);

    it.each<{ problem: string; overrides: EmailSubmissionBody; field: string }>([
      { problem: 'an unknown field is sent', overrides: { priority: 'high' }, field: 'priority' },
      { problem: 'subject is missing', overrides: { subject: undefined }, field: 'subject' },
      { problem: 'from is missing', overrides: { from: undefined }, field: 'from' },
      { problem: 'body is missing', overrides: { body: undefined }, field: 'body' },
      { problem: 'subject is not a string', overrides: { subject: 42 }, field: 'subject' },
      { problem: 'from is not a string', overrides: { from: ['ann@customer.example'] }, field: 'from' },
      { problem: 'body is not a string', overrides: { body: { text: 'hi' } }, field: 'body' },
      { problem: 'attachment_urls is not a list', overrides: { attachment_urls: 'https://f.example/a' }, field: 'attachment_urls' },
      { problem: 'an attachment URL is not a string', overrides: { attachment_urls: ['https://f.example/a', 7] }, field: 'attachment_urls.1' },
      { problem: 'message_id is not a string', overrides: { message_id: 12345 }, field: 'message_id' },
      { problem: 'message_id is blank', overrides: { message_id: '   ' }, field: 'message_id' },
      { problem: 'in_reply_to is not a string', overrides: { in_reply_to: true }, field: 'in_reply_to' },
      { problem: 'references is a number', overrides: { references: 5 }, field: 'references' },
      { problem: 'to is a number', overrides: { to: 6 }, field: 'to' },
      { problem: 'cc is a boolean', overrides: { cc: true }, field: 'cc' },
      { problem: 'received_at is a number', overrides: { received_at: 1767225600 }, field: 'received_at' },
      { problem: 'source_system is a number', overrides: { source_system: 8 }, field: 'source_system' },
      { problem: 'source_system is not a short lower-case name', overrides: { source_system: 'Email Listener' }, field: 'source_system' },
      { problem: 'from is not an address', overrides: { from: 'Ann Lee' }, field: 'from' },
      { problem: 'from lists two addresses', overrides: { from: 'ann@customer.example, bob@customer.example' }, field: 'from' },
      { problem: 'from has no domain', overrides: { from: 'Ann <ann@>' }, field: 'from' },
      { problem: 'an attachment URL is ftp', overrides: { attachment_urls: ['ftp://f.example/a'] }, field: 'attachment_urls.0' },
      { problem: 'an attachment URL is javascript:', overrides: { attachment_urls: ['https://f.example/a', 'javascript:alert(1)'] }, field: 'attachment_urls.1' },
      { problem: 'an attachment URL is not a URL', overrides: { attachment_urls: ['not a url'] }, field: 'attachment_urls.0' },
      { problem: '51 attachment URLs are listed', overrides: { attachment_urls: urls(51) }, field: 'attachment_urls' },
      { problem: 'received_at has no time zone', overrides: { received_at: '2026-03-01T09:30:00' }, field: 'received_at' },
      { problem: 'received_at is not a date', overrides: { received_at: 'yesterday' }, field: 'received_at' },
      { problem: 'received_at is a date without time', overrides: { received_at: '2026-03-01' }, field: 'received_at' },
      { problem: 'to holds a bad address in a list', overrides: { to: ['bob@acme.example', 'not an address'] }, field: 'to' },
      { problem: 'to is a bad address string', overrides: { to: 'bob at acme' }, field: 'to' },
      { problem: 'cc holds a bad address', overrides: { cc: ['@acme.example'] }, field: 'cc' },
      { problem: 'the subject is over INGEST_SUBJECT_MAX_CHARS', overrides: { subject: 's'.repeat(SUBJECT_MAX_CHARS + 1) }, field: 'subject' },
      { problem: 'the body is over INGEST_TEXT_MAX_CHARS', overrides: { body: 'b'.repeat(TEXT_MAX_CHARS + 1) }, field: 'body' },
      { problem: 'the body contains a NUL character', overrides: { body: 'a\u0000b' }, field: 'body' },
      { problem: 'a reference holds an unpaired UTF-16 surrogate', overrides: { references: ['<\ud834@x.example>'] }, field: 'references.0' },
      { problem: 'a recipient holds an unpaired UTF-16 surrogate', overrides: { to: ['a\udc00b@x.example'] }, field: 'to.0' },
    ])('answers 400 naming the field when $problem, storing nothing', async ({ overrides, field }) => {
      const response = await expectNothingStored(() => ingest(env, integration.access, emailFactory(overrides)));

      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'BAD_USER_INPUT', detail: expect.stringContaining(field) });
      expect(response.json().errors.length).toBeGreaterThan(0);
      for (const error of response.json().errors) expect(error).toEqual({ field, message: expect.any(String) });
    });

    it('refuses a tenant_id in the body as an unknown field: the tenant comes from the token only', async () => {
      const other = await callerFactory(env, 'integration');

      const response = await expectNothingStored(() => ingest(env, integration.access, emailFactory({ tenant_id: other.tenant.id })));

      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ field: 'tenant_id', message: 'is not a known field' }]);
      expect(await storedCounts(env, other.tenant.id)).toEqual({ emails: 0, jobs: 0 });
    });

    it('names every bad field of one request at once', async () => {
      const response = await expectNothingStored(() =>
        ingest(env, integration.access, emailFactory({ from: 'nobody', attachment_urls: ['ftp://x.example/a'], received_at: 'soon', cc: 3, extra: 1 })),
      );

      expect(response.statusCode).toBe(400);
      expect(response.json().errors.map((error: { field: string }) => error.field).sort()).toEqual(['attachment_urls.0', 'cc', 'extra', 'from', 'received_at']);
    });

    it.each([
      { problem: 'malformed JSON', payload: '{"subject": "x", ' },
      { problem: 'an empty body', payload: '' },
    ])('answers 400 naming body for $problem', async ({ payload }) => {
      const response = await expectNothingStored(() => ingest(env, integration.access, payload));

      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'BAD_USER_INPUT', errors: [{ field: 'body', message: 'is not valid JSON' }] });
    });

    it('answers 400 when the JSON is not an object', async () => {
      const response = await expectNothingStored(() => ingest(env, integration.access, '["subject", "from", "body"]'));

      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('BAD_USER_INPUT');
    });
  });

  describe('who may ingest', () => {
    it.each<Role>(['integration', 'admin'])('accepts an email from the %s role', async (role) => {
      const caller = await callerFactory(env, role, integration.tenant);

      const response = await ingest(env, caller.access, emailFactory());

      expect(response.statusCode).toBe(202);
      expect((await storedEmail(env, response.json().tracking_id)).tenant_id).toBe(integration.tenant.id);
    });

    it.each<Role>(['member', 'manager'])('answers 403 to the %s role and stores nothing', async (role) => {
      const caller = await callerFactory(env, role, integration.tenant);

      const response = await expectNothingStored(() => ingest(env, caller.access, emailFactory()));

      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({ detail: 'This operation needs one of the roles: admin, integration', code: 'FORBIDDEN' });
    });

    it('answers 401 without a token and stores nothing', async () => {
      const before = await storedCounts(env);
      const response = await ingest(env, undefined, emailFactory());

      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('TOKEN_MISSING');
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(await storedCounts(env)).toEqual(before);
    });

    it.each([
      { problem: 'a garbage token', token: 'not-a-jwt' },
      { problem: 'a refresh token', token: 'refresh' },
      { problem: 'a tampered access token', token: 'tampered' },
    ])('answers 401 to $problem and stores nothing', async ({ token }) => {
      const sent = token === 'refresh' ? integration.refresh : token === 'tampered' ? `${integration.access.slice(0, -4)}AAAA` : token;
      const before = await storedCounts(env);

      const response = await ingest(env, sent, emailFactory());

      expect(response.statusCode).toBe(401);
      expect(response.json().code).toMatch(/^TOKEN_/);
      expect(await storedCounts(env)).toEqual(before);
    });
  });

  describe('size limits and content types', () => {
    it('answers 413 PAYLOAD_TOO_LARGE for a JSON body over INGEST_JSON_LIMIT_BYTES, storing nothing', async () => {
      const tooLarge = emailFactory({ body: 'x'.repeat(JSON_LIMIT_BYTES) });

      const response = await expectNothingStored(() => ingest(env, integration.access, tooLarge));

      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({ detail: 'Request body is too large', code: 'PAYLOAD_TOO_LARGE' });
    });

    it('counts the JSON limit in bytes: an otherwise valid email in multi-byte characters is 413', async () => {
      // Every field is within its character limit; only the UTF-8 encoding is over the byte limit.
      const submission = emailFactory({ references: ['a', 'b', 'c'].map((host) => `<${'é'.repeat(900)}@${host}.example>`) });
      expect(JSON.stringify(submission).length).toBeLessThan(JSON_LIMIT_BYTES);
      expect(Buffer.byteLength(JSON.stringify(submission))).toBeGreaterThan(JSON_LIMIT_BYTES);

      const response = await expectNothingStored(() => ingest(env, integration.access, submission));

      expect(response.statusCode).toBe(413);
    });

    const mime = (body: string) =>
      `From: Ann Lee <ann@customer.example>\r\nTo: support@acme.example\r\nSubject: Late order\r\nMessage-ID: <${randomUUID()}@customer.example>\r\n\r\n${body}\r\n`;

    it('accepts a MIME message (message/rfc822) within INGEST_MIME_LIMIT_BYTES', async () => {
      const message = mime('Where is it?');

      const response = await ingest(env, integration.access, message, { 'content-type': 'message/rfc822' });

      expect(response.statusCode).toBe(202);
      const row = await storedEmail(env, response.json().tracking_id);
      expect(row).toMatchObject({ subject: 'Late order', from_address: 'ann@customer.example', raw_content_type: 'message/rfc822' });
      expect(row.raw.toString()).toBe(message);
    });

    it('answers 413 for a MIME message over INGEST_MIME_LIMIT_BYTES, storing nothing', async () => {
      const message = mime('y'.repeat(MIME_LIMIT_BYTES));

      const response = await expectNothingStored(() => ingest(env, integration.access, message, { 'content-type': 'message/rfc822' }));

      expect(response.statusCode).toBe(413);
      expect(response.json().code).toBe('PAYLOAD_TOO_LARGE');
    });

    it.each(['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'application/xml'])(
      'answers 415 UNSUPPORTED_MEDIA_TYPE for %s, storing nothing',
      async (contentType) => {
        const response = await expectNothingStored(() => ingest(env, integration.access, JSON.stringify(emailFactory()), { 'content-type': contentType }));

        expect(response.statusCode).toBe(415);
        expect(response.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
      },
    );
  });
});
