/** The tenant id of the current transaction, or NULL (→ no rows) when none was set. */
export const CURRENT_TENANT_SQL = `nullif(current_setting('app.tenant_id', true), '')::uuid`;

/** Row-level security for a tenant table: reads and writes limited to the transaction's tenant, owner included. */
export function tenantIsolationSql(table: string): string {
  return `
    alter table ${table} enable row level security;
    alter table ${table} force row level security;
    create policy tenant_isolation on ${table}
      using (tenant_id = ${CURRENT_TENANT_SQL})
      with check (tenant_id = ${CURRENT_TENANT_SQL});
  `;
}
