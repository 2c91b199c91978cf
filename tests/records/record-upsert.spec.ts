import type { Role } from '../../src/platform/context/auth-context';
import { RecordService } from '../../src/records/record.service';
import { callerFactory, type Caller } from '../factories';
import { executeRaw } from '../graphql/execute';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { postRecords, recordEvents, recordFactory, recordsWithKey, storedRecord, UPSERT_RECORDS } from './factories';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JSON_LIMIT_BYTES = 1024 * 1024;
const ATTRIBUTES_MAX_BYTES = 512;
const MAX_PER_CALL = 20;

describe(RecordService.name, () => {
  let env: TestEnv;
  let integration: Caller;

  beforeAll(async () => {
    env = await createTestEnv({
      RECORDS_JSON_LIMIT_BYTES: String(JSON_LIMIT_BYTES),
      RECORD_ATTRIBUTES_MAX_BYTES: String(ATTRIBUTES_MAX_BYTES),
      RECORDS_MAX_PER_CALL: String(MAX_PER_CALL),
    });
    integration = await callerFactory(env, 'integration');
  });
  afterAll(() => env.close());

  async function countRows(tenantId = integration.tenant.id): Promise<{ records: number; events: number }> {
    const [{ records }] = await env.ownerDb.query<{ records: string }>('select count(*) as records from business_records where tenant_id = ?', [tenantId]);
    const [{ events }] = await env.ownerDb.query<{ events: string }>('select count(*) as events from activity_events where tenant_id = ?', [tenantId]);
    return { records: Number(records), events: Number(events) };
  }

  describe('upserting over REST', () => {
    it('stores new records under the token\'s tenant and answers 200 with each one\'s id and status', async () => {
      const contact = recordFactory({ title: '  Ann Lee  ', attributes: { email: 'ann@customer.example', tags: ['vip'], address: { city: 'Köln' } } });
      const deal = recordFactory({ source_system: 'hubspot', kind: 'deal', title: undefined, attributes: { amount: 1200.5 } });

      const response = await postRecords(env, integration.access, { records: [contact, deal] });

      expect(response.statusCode).toBe(200);
      const { stored } = response.json();
      expect(stored).toEqual([
        { index: 0, id: expect.stringMatching(UUID), status: 'created' },
        { index: 1, id: expect.stringMatching(UUID), status: 'created' },
      ]);
      expect(await storedRecord(env, stored[0].id)).toMatchObject({
        tenant_id: integration.tenant.id,
        source_system: 'salesforce',
        correlation_id: response.headers['x-correlation-id'],
        kind: 'contact',
        external_id: contact.external_id,
        title: 'Ann Lee',
        attributes: { email: 'ann@customer.example', tags: ['vip'], address: { city: 'Köln' } },
        company_id: null,
      });
      expect(await storedRecord(env, stored[1].id)).toMatchObject({ source_system: 'hubspot', kind: 'deal', title: null, attributes: { amount: 1200.5 } });
    });

    it('writes a record.upserted event for a new record naming what it set', async () => {
      const record = recordFactory({ attributes: { stage: 'lead', owner: 'bob' } });

      const { stored } = (await postRecords(env, integration.access, { records: [record] })).json();

      expect(await recordEvents(env, stored[0].id)).toEqual([
        expect.objectContaining({
          tenant_id: integration.tenant.id,
          entity_type: 'record',
          kind: 'record.upserted',
          source_system: 'salesforce',
          payload: {
            kind: 'contact',
            externalId: record.external_id,
            sourceSystem: 'salesforce',
            status: 'created',
            changedFields: ['title', 'attributes'],
            changedAttributes: ['owner', 'stage'],
            companyId: null,
          },
        }),
      ]);
    });

    it('writes nothing for an unchanged upsert: status unchanged, no event, updated_at and correlation id kept', async () => {
      const record = recordFactory({ attributes: { b: 2, a: { y: 1, x: [1, 2] } } });
      const first = (await postRecords(env, integration.access, { records: [record] })).json().stored[0];
      const before = await storedRecord(env, first.id);
      const counts = await countRows();

      // The same content with its keys in another order is the same record.
      const again = await postRecords(env, integration.access, { records: [{ ...record, attributes: { a: { x: [1, 2], y: 1 }, b: 2 } }] });

      expect(again.statusCode).toBe(200);
      expect(again.json().stored).toEqual([{ index: 0, id: first.id, status: 'unchanged' }]);
      expect(await countRows()).toEqual(counts);
      const after = await storedRecord(env, first.id);
      expect(after.updated_at).toBe(before.updated_at);
      expect(after.correlation_id).toBe(before.correlation_id);
      // The same row version: not even an update that happened to write the same values.
      expect(after.xmin).toBe(before.xmin);
      expect(await recordEvents(env, first.id)).toHaveLength(1);
    });

    it('updates a changed record in place and names the changed fields and attributes in its event', async () => {
      const record = recordFactory({ title: 'Deal 1', kind: 'deal', attributes: { stage: 'proposal', amount: 100, owner: 'bob' } });
      const first = (await postRecords(env, integration.access, { records: [record] })).json().stored[0];
      const before = await storedRecord(env, first.id);

      const changed = { ...record, attributes: { stage: 'won', amount: 100, closed_at: '2026-03-01' } };
      const response = await postRecords(env, integration.access, { records: [changed] });

      expect(response.json().stored).toEqual([{ index: 0, id: first.id, status: 'updated' }]);
      const after = await storedRecord(env, first.id);
      expect(after).toMatchObject({ title: 'Deal 1', attributes: { stage: 'won', amount: 100, closed_at: '2026-03-01' }, correlation_id: response.headers['x-correlation-id'] });
      expect(after.updated_at).not.toBe(before.updated_at);
      expect(Date.parse(after.updated_at)).toBeGreaterThanOrEqual(Date.parse(before.updated_at));
      expect(after.created_at).toBe(before.created_at);
      expect(await recordsWithKey(env, integration.tenant.id, 'salesforce', 'deal', record.external_id as string)).toHaveLength(1);
      const events = await recordEvents(env, first.id);
      expect(events.map((event) => event.payload)).toEqual([
        expect.objectContaining({ status: 'created' }),
        expect.objectContaining({ status: 'updated', changedFields: ['attributes'], changedAttributes: ['closed_at', 'owner', 'stage'] }),
      ]);
    });

    it('counts a changed title alone as a change', async () => {
      const record = recordFactory({ title: 'Old name' });
      const first = (await postRecords(env, integration.access, { records: [record] })).json().stored[0];

      const response = await postRecords(env, integration.access, { records: [{ ...record, title: 'New name' }] });

      expect(response.json().stored[0].status).toBe('updated');
      expect((await recordEvents(env, first.id))[1].payload).toMatchObject({ changedFields: ['title'], changedAttributes: [] });
    });

    it('keeps records of different kinds or source systems with the same external id apart', async () => {
      const base = recordFactory();
      const response = await postRecords(env, integration.access, {
        records: [base, { ...base, kind: 'order' }, { ...base, source_system: 'sap' }],
      });

      expect(response.json().stored.map((item: { status: string }) => item.status)).toEqual(['created', 'created', 'created']);
      expect(new Set(response.json().stored.map((item: { id: string }) => item.id)).size).toBe(3);
    });
  });

  describe('rejecting bad records by index and field', () => {
    it('stores the good records of a mixed call and answers 400 naming each bad one as records[i].field', async () => {
      const good = [recordFactory(), recordFactory({ kind: 'invoice' })];
      const counts = await countRows();

      const response = await postRecords(env, integration.access, {
        records: [
          good[0],
          recordFactory({ external_id: '   ' }),
          recordFactory({ kind: 'spaceship', source_system: 'Sales Force' }),
          good[1],
          recordFactory({ attributes: ['not', 'an', 'object'] }),
          recordFactory({ priority: 'high' }),
          'not a record',
        ],
      });

      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body.code).toBe('BAD_USER_INPUT');
      expect(body.errors).toEqual(
        expect.arrayContaining([
          { index: 1, field: 'records[1].external_id', message: 'must not be empty' },
          { index: 2, field: 'records[2].kind', message: expect.stringContaining('must be one of company, contact, deal') },
          { index: 2, field: 'records[2].source_system', message: expect.stringContaining('lower-case') },
          { index: 4, field: 'records[4].attributes', message: expect.any(String) },
          { index: 5, field: 'records[5].priority', message: 'is not a known field' },
          { index: 6, field: 'records[6]', message: expect.any(String) },
        ]),
      );
      expect(body.errors).toHaveLength(6);
      expect(body.detail).toContain('records[1].external_id');
      expect(body.stored).toEqual([
        { index: 0, id: expect.stringMatching(UUID), status: 'created' },
        { index: 3, id: expect.stringMatching(UUID), status: 'created' },
      ]);
      expect(await storedRecord(env, body.stored[1].id)).toMatchObject({ kind: 'invoice', external_id: good[1].external_id });
      expect(await countRows()).toEqual({ records: counts.records + 2, events: counts.events + 2 });
    });

    it('rejects a record repeating the key of an earlier one in the same call, storing the first', async () => {
      const record = recordFactory();

      const response = await postRecords(env, integration.access, { records: [record, { ...record, title: 'Other' }] });

      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ index: 1, field: 'records[1].external_id', message: expect.stringContaining('repeats records[0]') }]);
      expect(response.json().stored).toEqual([{ index: 0, id: expect.stringMatching(UUID), status: 'created' }]);
      expect((await storedRecord(env, response.json().stored[0].id)).title).toBe(record.title);
    });

    it('answers 400 with nothing stored when every record is bad', async () => {
      const counts = await countRows();

      const response = await postRecords(env, integration.access, { records: [recordFactory({ kind: 'ticket' })] });

      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ errors: [{ index: 0, field: 'records[0].kind' }], stored: [] });
      expect(await countRows()).toEqual(counts);
    });

    it(`answers 400 naming records, storing nothing, for more than RECORDS_MAX_PER_CALL (${MAX_PER_CALL}) records`, async () => {
      const counts = await countRows();
      const exactly = await postRecords(env, integration.access, { records: Array.from({ length: MAX_PER_CALL }, () => recordFactory()) });
      expect(exactly.statusCode).toBe(200);

      const response = await postRecords(env, integration.access, { records: Array.from({ length: MAX_PER_CALL + 1 }, () => recordFactory()) });

      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        detail: expect.any(String),
        code: 'BAD_USER_INPUT',
        errors: [{ field: 'records', message: `must hold at most ${MAX_PER_CALL} records per call` }],
      });
      expect(await countRows()).toEqual({ records: counts.records + MAX_PER_CALL, events: counts.events + MAX_PER_CALL });
    });

    it.each([
      { problem: 'no records', body: { records: [] }, field: 'records' },
      { problem: 'records missing', body: {}, field: 'records' },
      { problem: 'records not a list', body: { records: { a: 1 } }, field: 'records' },
      { problem: 'an unknown top-level field', body: { records: [], tenant_id: 'x' }, field: 'tenant_id' },
    ])('answers 400 naming $field for $problem', async ({ body, field }) => {
      const response = await postRecords(env, integration.access, body as { records: unknown });

      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('answers 400 naming the body for invalid JSON', async () => {
      const response = await postRecords(env, integration.access, '{"records": [');

      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
    });

    it(`answers 413 for a body over RECORDS_JSON_LIMIT_BYTES (${JSON_LIMIT_BYTES}), storing nothing`, async () => {
      const counts = await countRows();
      const records = Array.from({ length: 10 }, () => recordFactory({ title: 'x'.repeat(400), attributes: { note: 'n'.repeat(400) } }));
      const body = JSON.stringify({ records, padding: ' '.repeat(JSON_LIMIT_BYTES) });

      const response = await postRecords(env, integration.access, body);

      expect(response.statusCode).toBe(413);
      expect(response.json().code).toBe('PAYLOAD_TOO_LARGE');
      expect(await countRows()).toEqual(counts);
    });

    it(`rejects attributes over RECORD_ATTRIBUTES_MAX_BYTES (${ATTRIBUTES_MAX_BYTES}) and accepts them at the limit`, async () => {
      const fits = { note: 'x'.repeat(ATTRIBUTES_MAX_BYTES - '{"note":""}'.length) };
      const tooBig = { note: 'x'.repeat(ATTRIBUTES_MAX_BYTES - '{"note":""}'.length - 1) + 'é' };

      const response = await postRecords(env, integration.access, { records: [recordFactory({ attributes: fits }), recordFactory({ attributes: tooBig })] });

      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ index: 1, field: 'records[1].attributes', message: `must be at most ${ATTRIBUTES_MAX_BYTES} bytes as JSON` }]);
      expect(response.json().stored).toEqual([{ index: 0, id: expect.stringMatching(UUID), status: 'created' }]);
    });

    it('rejects attributes nested deeper than 8 levels and accepts 8', async () => {
      const nest = (levels: number): Record<string, unknown> => (levels === 1 ? { leaf: true } : { next: nest(levels - 1) });

      const response = await postRecords(env, integration.access, { records: [recordFactory({ attributes: nest(8) }), recordFactory({ attributes: nest(9) })] });

      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([
        { index: 1, field: 'records[1].attributes', message: 'must nest objects and arrays at most 8 levels deep' },
      ]);
      expect(response.json().stored).toHaveLength(1);
    });

    it('rejects a hostile 100,000-level nesting as bad input, not a crash', async () => {
      const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
      const body = `{"records":[{"source_system":"crm","kind":"contact","external_id":"x","attributes":${deep}}]}`;

      const response = await postRecords(env, integration.access, body);

      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([expect.objectContaining({ field: 'records[0].attributes' })]);
    });

    it('rejects NUL characters, which Postgres cannot store, naming the attribute', async () => {
      const response = await postRecords(env, integration.access, { records: [recordFactory({ attributes: { note: 'a\u0000b' } })] });

      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ index: 0, field: 'records[0].attributes.note', message: 'must not contain NUL characters' }]);
    });

    it('rejects company_external_id on a company record', async () => {
      const response = await postRecords(env, integration.access, { records: [recordFactory({ kind: 'company', company_external_id: 'parent' })] });

      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([expect.objectContaining({ field: 'records[0].company_external_id' })]);
    });
  });

  describe('who may write', () => {
    it('answers 401 without a token', async () => {
      const response = await postRecords(env, undefined, { records: [recordFactory()] });

      expect(response.statusCode).toBe(401);
    });

    it.each<Role>(['member', 'manager'])('answers 403 to a %s and stores nothing', async (role) => {
      const caller = await callerFactory(env, role);
      const record = recordFactory();

      const response = await postRecords(env, caller.access, { records: [record] });

      expect(response.statusCode).toBe(403);
      expect(await recordsWithKey(env, caller.tenant.id, 'salesforce', 'contact', record.external_id as string)).toEqual([]);
    });

    it.each<Role>(['admin', 'integration'])('lets a %s write', async (role) => {
      const caller = await callerFactory(env, role);

      const response = await postRecords(env, caller.access, { records: [recordFactory()] });

      expect(response.statusCode).toBe(200);
    });

    it('refuses a member over GraphQL with FORBIDDEN', async () => {
      const member = await callerFactory(env, 'member');

      const result = await executeRaw(env.api, UPSERT_RECORDS, member.access, { input: [{ sourceSystem: 'crm', kind: 'contact', externalId: 'c-1' }] });

      expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(await recordsWithKey(env, member.tenant.id, 'crm', 'contact', 'c-1')).toEqual([]);
    });
  });

  describe('upserting over GraphQL', () => {
    it('stores records through upsertRecords with the same service and reports each one', async () => {
      const input = [
        { sourceSystem: 'sap', kind: 'order', externalId: 'SO-1', title: 'Order 1', attributes: { total: 99 } },
        { sourceSystem: 'sap', kind: 'product', externalId: 'P-1' },
      ];

      const result = await executeRaw(env.api, UPSERT_RECORDS, integration.access, { input });

      expect(result.errors).toBeUndefined();
      const payload = (result.data as { upsertRecords: { stored: { id: string }[]; rejected: unknown[] } }).upsertRecords;
      expect(payload).toEqual({
        stored: [
          { index: 0, id: expect.stringMatching(UUID), status: 'created' },
          { index: 1, id: expect.stringMatching(UUID), status: 'created' },
        ],
        rejected: [],
      });
      expect(await storedRecord(env, payload.stored[0].id)).toMatchObject({ tenant_id: integration.tenant.id, kind: 'order', title: 'Order 1', attributes: { total: 99 } });
      expect(await storedRecord(env, payload.stored[1].id)).toMatchObject({ kind: 'product', title: null, attributes: {} });

      const again = await executeRaw(env.api, UPSERT_RECORDS, integration.access, { input });
      expect((again.data as { upsertRecords: { stored: { status: string }[] } }).upsertRecords.stored.map((item) => item.status)).toEqual(['unchanged', 'unchanged']);
    });

    it('returns partial success as data, naming bad fields by their GraphQL names', async () => {
      const input = [
        { sourceSystem: 'sap', kind: 'order', externalId: 'SO-2' },
        { sourceSystem: 'sap', kind: 'order', externalId: ' ' },
        { sourceSystem: 'SAP!', kind: 'contact', externalId: 'C-9', companyExternalId: '' },
      ];

      const result = await executeRaw(env.api, UPSERT_RECORDS, integration.access, { input });

      expect(result.errors).toBeUndefined();
      const payload = (result.data as { upsertRecords: { stored: unknown[]; rejected: { field: string }[] } }).upsertRecords;
      expect(payload.stored).toEqual([{ index: 0, id: expect.stringMatching(UUID), status: 'created' }]);
      expect(payload.rejected.map((problem) => problem.field).sort()).toEqual(['input[1].externalId', 'input[2].companyExternalId', 'input[2].sourceSystem']);
    });

    it('answers BAD_USER_INPUT naming input for an empty list or too many records', async () => {
      const empty = await executeRaw(env.api, UPSERT_RECORDS, integration.access, { input: [] });
      const tooMany = await executeRaw(env.api, UPSERT_RECORDS, integration.access, {
        input: Array.from({ length: MAX_PER_CALL + 1 }, (_, i) => ({ sourceSystem: 'sap', kind: 'order', externalId: `many-${i}` })),
      });

      for (const result of [empty, tooMany]) {
        expect(result.status).toBe(200);
        expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'input', message: expect.any(String) }] });
      }
      expect(await recordsWithKey(env, integration.tenant.id, 'sap', 'order', 'many-0')).toEqual([]);
    });
  });
});
