import { randomUUID } from 'node:crypto';
import { RecordService } from '../../src/records/record.service';
import { callerFactory, type Caller } from '../factories';
import { executeRaw } from '../graphql/execute';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { companyRecordFactory, getRecord, postRecords, RECORD, recordFactory, RECORDS, recordsWithKey, type RecordBody } from './factories';

describe(`${RecordService.name}: reads and tenant isolation`, () => {
  let env: TestEnv;
  let alpha: Caller;
  let beta: Caller;

  beforeAll(async () => {
    env = await createTestEnv();
    alpha = await callerFactory(env, 'integration');
    beta = await callerFactory(env, 'integration');
  });
  afterAll(() => env.close());

  async function upsert(caller: Caller, records: RecordBody[]): Promise<string[]> {
    const response = await postRecords(env, caller.access, { records });
    expect(response.statusCode).toBe(200);
    return response.json().stored.map((item: { id: string }) => item.id);
  }

  it('keeps the same (source_system, kind, external_id) in two tenants as two records', async () => {
    const record = recordFactory();

    const [alphaId] = await upsert(alpha, [record]);
    const [betaId] = await upsert(beta, [{ ...record, title: 'Beta version' }]);

    expect(betaId).not.toBe(alphaId);
    expect(await recordsWithKey(env, alpha.tenant.id, 'salesforce', 'contact', record.external_id as string)).toEqual([
      expect.objectContaining({ id: alphaId, title: record.title }),
    ]);
    expect(await recordsWithKey(env, beta.tenant.id, 'salesforce', 'contact', record.external_id as string)).toEqual([
      expect.objectContaining({ id: betaId, title: 'Beta version' }),
    ]);
  });

  it('ignores a tenant_id sent in the body: the tenant comes from the token only', async () => {
    const response = await postRecords(env, alpha.access, { records: [recordFactory({ tenant_id: beta.tenant.id })] });

    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([expect.objectContaining({ field: 'records[0].tenant_id', message: 'is not a known field' })]);
  });

  it('reads a record over REST with any role, in wire names', async () => {
    const record = recordFactory({ kind: 'invoice', attributes: { total: 12.5 } });
    const [id] = await upsert(alpha, [record]);
    const member = await callerFactory(env, 'member', alpha.tenant);

    const response = await getRecord(env, member.access, id);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id,
      source_system: 'salesforce',
      kind: 'invoice',
      external_id: record.external_id,
      title: record.title,
      attributes: { total: 12.5 },
      company_id: null,
      correlation_id: expect.any(String),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
  });

  it("answers 404 for another tenant's record, an unknown id and a malformed id", async () => {
    const [betaId] = await upsert(beta, [recordFactory()]);

    for (const id of [betaId, randomUUID(), 'not-a-uuid']) {
      const response = await getRecord(env, alpha.access, id);
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('NOT_FOUND');
    }
  });

  it('answers 401 to a read without a token', async () => {
    const [id] = await upsert(alpha, [recordFactory()]);

    const response = await env.api.app.inject({ method: 'GET', url: `/api/v1/records/${id}/` });

    expect(response.statusCode).toBe(401);
  });

  it("reads a record over GraphQL, and answers NOT_FOUND for another tenant's", async () => {
    const [alphaId] = await upsert(alpha, [recordFactory({ kind: 'product', title: 'Widget' })]);
    const [betaId] = await upsert(beta, [recordFactory()]);

    const own = await executeRaw(env.api, RECORD, alpha.access, { id: alphaId });
    const foreign = await executeRaw(env.api, RECORD, alpha.access, { id: betaId });

    expect(own.data).toEqual({ record: expect.objectContaining({ id: alphaId, kind: 'product', title: 'Widget', sourceSystem: 'salesforce' }) });
    expect(foreign.data).toBeNull();
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('lists records newest first by kind and company, a page at a time, within the tenant only', async () => {
    const caller = await callerFactory(env, 'integration');
    const account = companyRecordFactory({ external_id: 'LIST-1' });
    await upsert(caller, [account]);
    const deals: string[] = [];
    for (let i = 0; i < 3; i += 1) deals.push(...(await upsert(caller, [recordFactory({ kind: 'deal', company_external_id: 'LIST-1' })])));
    await upsert(caller, [recordFactory({ kind: 'deal' }), recordFactory({ kind: 'contact', company_external_id: 'LIST-1' })]);
    await upsert(beta, [recordFactory({ kind: 'deal' })]);
    const [company] = await env.ownerDb.query<{ id: string }>('select id from companies where tenant_id = ? and external_id = ?', [caller.tenant.id, 'LIST-1']);
    const list = async (variables: Record<string, unknown>) =>
      ((await executeRaw(env.api, RECORDS, caller.access, variables)).data as { records: { id: string; kind: string; companyId: string | null }[] }).records;

    const firstPage = await list({ kind: 'deal', companyId: company.id, first: 2 });
    const secondPage = await list({ kind: 'deal', companyId: company.id, first: 2, after: firstPage[1].id });

    expect([...firstPage, ...secondPage].map((record) => record.id)).toEqual([...deals].reverse());
    expect(await list({ kind: 'deal' })).toHaveLength(4);
    expect((await list({ companyId: company.id })).map((record) => record.kind).sort()).toEqual(['company', 'contact', 'deal', 'deal', 'deal']);

    const rest = await env.api.app.inject({
      method: 'GET',
      url: `/api/v1/records/?kind=deal&company_id=${company.id}&first=2`,
      headers: { authorization: `Bearer ${caller.access}` },
    });
    expect(rest.statusCode).toBe(200);
    expect(rest.json()).toEqual([
      expect.objectContaining({ id: deals[2], kind: 'deal', company_id: company.id }),
      expect.objectContaining({ id: deals[1], kind: 'deal', company_id: company.id }),
    ]);
  });

  it('answers 400 naming kind for an unknown kind in a list', async () => {
    const response = await env.api.app.inject({ method: 'GET', url: '/api/v1/records/?kind=spaceship', headers: { authorization: `Bearer ${alpha.access}` } });

    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([expect.objectContaining({ field: 'kind' })]);
  });
});
