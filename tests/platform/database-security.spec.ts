import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { TENANT_ENTITIES } from '../../src/platform/db/entities';
import { APP_ROLE } from '../../src/platform/db/migrate';
import { createTestEnv, type TestEnv } from '../setup/test-env';

interface TenantTable {
  table: string;
  rls: boolean;
  forced: boolean;
}

interface Policy {
  table: string;
  policy: string;
  command: string;
  permissive: string;
  using: string | null;
  check: string | null;
}

describe('database security', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.close());

  describe('row-level security on every tenant table', () => {
    let tables: TenantTable[];
    let policies: Policy[];

    beforeAll(async () => {
      tables = await env.ownerDb.query<TenantTable>(
        `select c.relname as "table", c.relrowsecurity as rls, c.relforcerowsecurity as forced
           from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
           join pg_attribute a on a.attrelid = c.oid
          where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attname = 'tenant_id' and a.attnum > 0 and not a.attisdropped
          order by 1`,
      );
      policies = await env.ownerDb.query<Policy>(
        `select tablename as "table", policyname as policy, cmd as command, permissive, qual as using, with_check as check
           from pg_policies where schemaname = 'public'`,
      );
    });

    it('finds the tenant tables, and exactly the ones the ORM filters', () => {
      const found = tables.map((t) => t.table);
      expect(found).toEqual(expect.arrayContaining(['users', 'refresh_tokens', 'companies']));
      const filtered = TENANT_ENTITIES.map((entity) => env.ownerDb.orm.getMetadata().get(entity.name).tableName);
      // The search index's Postgres half has no entity: only raw SQL in src/search reads and writes it, so RLS alone guards it.
      // So has thread_references, read and written only by src/pipeline/card-batch-writer.ts.
      const rawSqlOnly = ['search_documents', 'thread_references'];
      expect([...found].sort()).toEqual([...filtered, ...rawSqlOnly].sort());
    });

    it('enables and forces RLS on each of them', () => {
      expect(tables.filter((t) => !t.rls || !t.forced)).toEqual([]);
    });

    const tenantScoped = (p: Policy) =>
      [p.using, p.check].every((expression) => expression?.includes('tenant_id') && expression.includes(`current_setting('app.tenant_id'`));

    it('gives each of them a policy that checks app.tenant_id on read (USING) and on write (WITH CHECK)', () => {
      const unprotected = tables.map((t) => t.table).filter((table) => !policies.some((p) => p.table === table && p.command === 'ALL' && tenantScoped(p)));
      expect(unprotected).toEqual([]);
    });

    it('has no other permissive policy on them, which would widen access (permissive policies are OR-ed)', () => {
      const tenantTables = new Set(tables.map((t) => t.table));
      const widening = policies.filter((p) => tenantTables.has(p.table) && p.permissive === 'PERMISSIVE' && !tenantScoped(p));
      expect(widening).toEqual([]);
    });
  });

  describe(`the ${APP_ROLE} role`, () => {
    it('is the role the app connects as', async () => {
      const [{ user }] = await env.db.query<{ user: string }>('select current_user as "user"');
      expect(user).toBe(APP_ROLE);
    });

    it('is neither superuser nor exempt from RLS', async () => {
      const [role] = await env.ownerDb.query('select rolsuper, rolbypassrls from pg_roles where rolname = ?', [APP_ROLE]);
      expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
    });

    it('owns no relation, function or schema in the database (owners skip RLS unless it is forced)', async () => {
      const owned = await env.ownerDb.query(
        `select 'relation' as kind, c.oid::regclass::text as name from pg_class c where c.relowner = (select oid from pg_roles where rolname = ?)
         union all
         select 'function', p.oid::regprocedure::text from pg_proc p where p.proowner = (select oid from pg_roles where rolname = ?)
         union all
         select 'schema', n.nspname from pg_namespace n where n.nspowner = (select oid from pg_roles where rolname = ?)`,
        [APP_ROLE, APP_ROLE, APP_ROLE],
      );
      expect(owned).toEqual([]);
    });

    it('cannot insert into tenants', async () => {
      const client = new Client({ connectionString: env.appUrl });
      await client.connect();
      try {
        await expect(client.query(`insert into tenants (id, slug, name) values ($1, $2, 'Intruder')`, [randomUUID(), `x-${randomUUID().slice(0, 8)}`])).rejects.toThrow(
          /permission denied for table tenants/,
        );
      } finally {
        await client.end();
      }
      const [{ count }] = await env.ownerDb.query<{ count: string }>(`select count(*) as count from tenants where name = 'Intruder'`);
      expect(Number(count)).toBe(0);
    });
  });
});
