import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from '../rls';

/** The Context Layer, as in the foundation migration (kept literal: a migration must never change). */
const CONTEXT_COLUMNS = `
        id uuid primary key,
        tenant_id uuid not null references tenants (id) on delete cascade,
        source_system text not null,
        correlation_id text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()`;

export class Migration20261126030000_records extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      -- CRM/ERP objects (US-BKP-007), upserted by their key in the source system.
      create table business_records (
        ${CONTEXT_COLUMNS},
        kind text not null check (kind in ('company', 'contact', 'deal', 'order', 'invoice', 'product')),
        external_id text not null,
        title text null,
        attributes jsonb not null default '{}',
        content_hash text not null,
        company_id uuid null references companies (id) on delete set null,
        constraint business_records_tenant_id_source_system_kind_external_id_key unique (tenant_id, source_system, kind, external_id)
      );
      create index business_records_tenant_id_kind_created_at_index on business_records (tenant_id, kind, created_at, id);
      -- Also serves "on delete set null" when a company goes.
      create index business_records_company_id_index on business_records (company_id);

      -- Records find their Company by external id first, then by domain (already indexed).
      create index companies_tenant_id_external_id_index on companies (tenant_id, external_id);
    `);
    this.addSql(tenantIsolationSql('business_records'));
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop index if exists companies_tenant_id_external_id_index;
      drop table if exists business_records cascade;
    `);
  }
}
