import { Client } from 'pg';
import { Company } from '../../src/companies/company.entity';
import { CompanyService } from '../../src/companies/company.service';
import { JobWriter } from '../../src/platform/queue/job-writer';
import { IndexQueue } from '../../src/search/index-queue';
import { authContext, MissingTenantContextError } from '../../src/platform/context/auth-context';
import { Database } from '../../src/platform/db/database';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';

describe('tenant isolation (US-BKP-002)', () => {
  let env: TestEnv;
  let a: Caller;
  let b: Caller;
  let bCompanyId: string;

  beforeAll(async () => {
    env = await createTestEnv();
    [a, b] = await Promise.all([callerFactory(env, 'admin'), callerFactory(env, 'admin')]);
    await env.services.companies.create(a.auth, { name: 'Acme', domain: 'acme.example' });
    bCompanyId = (await env.services.companies.create(b.auth, { name: 'Globex', domain: 'globex.example' })).id;
  });
  afterAll(() => env.close());

  it('returns zero companies when the tenant_id does not match', async () => {
    const stranger = { ...a.auth, tenantId: '00000000-0000-4000-8000-000000000000' };
    await expect(env.services.companies.list(stranger, {})).resolves.toEqual([]);
    const own = await env.services.companies.list(a.auth, {});
    expect(own.map((c) => c.name)).toEqual(['Acme']);
  });

  it("answers NOT_FOUND for another tenant's company fetched by id", async () => {
    await expect(env.services.companies.get(a.auth, bCompanyId)).rejects.toMatchObject({ kind: 'NOT_FOUND' });
    const response = await env.api.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${a.access}`, 'content-type': 'application/json' },
      payload: { query: 'query($id: ID!) { company(id: $id) { id name } }', variables: { id: bCompanyId } },
    });
    expect(response.json().errors[0].extensions.code).toBe('NOT_FOUND');
    expect(response.json().data).toBeNull();
  });

  /** Plain SQL on the app role's own connection, in one transaction under `tenantId`'s setting. */
  async function asAppRole(tenantId: string, work: (client: Client) => Promise<void>): Promise<void> {
    const client = new Client({ connectionString: env.appUrl });
    await client.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
      await work(client);
    } finally {
      await client.query('rollback');
      await client.end();
    }
  }

  it("raw SQL as pebble_app under A's setting reads and changes none of B's rows", async () => {
    await asAppRole(a.tenant.id, async (client) => {
      const { rows } = await client.query('select tenant_id from companies');
      expect(rows.map((r) => r.tenant_id)).toEqual([a.tenant.id]);
      const updated = await client.query(`update companies set name = 'pwned' where id = $1`, [bCompanyId]);
      const deleted = await client.query('delete from companies where id = $1', [bCompanyId]);
      expect([updated.rowCount, deleted.rowCount]).toEqual([0, 0]);
    });
    const untouched = await env.services.companies.get(b.auth, bCompanyId);
    expect(untouched.name).toBe('Globex');
  });

  it("refuses to insert a row carrying B's tenant_id while acting as A", async () => {
    await asAppRole(a.tenant.id, (client) =>
      expect(
        client.query(
          `insert into companies (id, tenant_id, source_system, correlation_id, name) values (gen_random_uuid(), $1, 'api', 'x', 'Smuggled')`,
          [b.tenant.id],
        ),
      ).rejects.toThrow(/row-level security/),
    );
  });

  it('overwrites a tenant_id smuggled into an entity with the context tenant', async () => {
    const company = await env.db.withTenant(a.auth, async (em) => {
      const created = em.create(Company, { name: 'Sneaky', tenantId: b.tenant.id, sourceSystem: 'evil', correlationId: 'forged' });
      await em.flush();
      return created;
    });
    expect(company).toMatchObject({ tenantId: a.tenant.id, sourceSystem: 'api', correlationId: a.auth.correlationId });
  });

  it("reads nothing without a tenant setting, even through the app role's own connection", async () => {
    const rows = await env.db.query('select * from companies');
    expect(rows).toEqual([]);
  });

  it('on a pool of one connection, A then B then A leak nothing between requests', async () => {
    const single = await Database.connect(env.appUrl, 1);
    try {
      const companies = new CompanyService(single, new IndexQueue(new JobWriter()));
      const seen = [];
      for (const caller of [a, b, a, b]) seen.push([...new Set((await companies.list(caller.auth, {})).map((c) => c.tenantId))]);
      expect(seen).toEqual([[a.tenant.id], [b.tenant.id], [a.tenant.id], [b.tenant.id]]);
      // Outside a unit of work the pooled connection carries no tenant left over from the last one.
      const [{ t }] = await single.query<{ t: string | null }>(`select coalesce(current_setting('app.tenant_id', true), '') as t`);
      expect(t).toBe('');
    } finally {
      await single.close();
    }
  });

  it('throws when tenant data is touched with no tenant in context', async () => {
    const em = env.db.orm.em.fork({ useContext: false });
    await expect(em.find(Company, {})).rejects.toThrow(/No arguments provided for filter 'tenant'/);
    expect(() => authContext.require()).toThrow(MissingTenantContextError);
    const orphan = em.create(Company, { name: 'Orphan' });
    await expect(em.flush()).rejects.toThrow(MissingTenantContextError);
    expect(orphan.tenantId).toBeUndefined();
  });

  it('fills the Context Layer (source_system, correlation_id) on every insert', async () => {
    const company = await env.services.companies.create({ ...a.auth, sourceSystem: 'salesforce', correlationId: 'req-42' }, { name: 'Initech' });
    const [row] = await env.ownerDb.query<{ source_system: string; correlation_id: string }>(
      'select source_system, correlation_id from companies where id = ?',
      [company.id],
    );
    expect(row).toEqual({ source_system: 'salesforce', correlation_id: 'req-42' });
  });
});
