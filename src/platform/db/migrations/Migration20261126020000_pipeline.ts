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

export class Migration20261126020000_pipeline extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table cards (
        ${CONTEXT_COLUMNS},
        "column" text not null default 'inbox' check ("column" in ('inbox', 'triage', 'in_progress', 'waiting', 'done', 'archived')),
        title text not null,
        category text not null check (category in ('lead', 'support', 'order', 'invoice', 'complaint', 'other')),
        priority text not null check (priority in ('low', 'normal', 'high', 'urgent')),
        sentiment double precision not null,
        company_id uuid null references companies (id) on delete set null,
        first_email_id uuid not null,
        thread_key text not null,
        email_count integer not null default 1
      );
      create index cards_tenant_id_column_index on cards (tenant_id, "column", id);

      -- The idempotency ledger (US-BKP-006): one row per unique email of a tenant, claimed by its unique key.
      create table processed_emails (
        ${CONTEXT_COLUMNS},
        message_id_hash text not null,
        hash_source text not null check (hash_source in ('message_id', 'content')),
        email_id uuid not null,
        card_id uuid null,
        constraint processed_emails_tenant_id_message_id_hash_key unique (tenant_id, message_id_hash)
      );

      -- The ActivityStream.
      create table activity_events (
        ${CONTEXT_COLUMNS},
        entity_type text not null,
        entity_id uuid not null,
        kind text not null,
        payload jsonb not null default '{}',
        occurred_at timestamptz not null default now()
      );
      create index activity_events_tenant_id_entity_id_index on activity_events (tenant_id, entity_id, occurred_at);

      -- One row per dead-lettered job; a job dead-lettered again (after a replay) updates its row.
      create table sync_errors (
        ${CONTEXT_COLUMNS},
        queue text not null,
        job_id uuid not null,
        email_id uuid null,
        error text not null,
        traceback text not null,
        payload jsonb not null,
        raw_payload bytea null,
        attempts integer not null,
        first_failed_at timestamptz not null,
        last_failed_at timestamptz not null,
        replayed_at timestamptz null,
        resolved_at timestamptz null,
        resolution_note text null,
        constraint sync_errors_tenant_id_queue_job_id_key unique (tenant_id, queue, job_id)
      );

      alter table emails add column attempts integer not null default 0;
      alter table emails add column first_failed_at timestamptz null;
    `);
    for (const table of ['cards', 'processed_emails', 'activity_events', 'sync_errors']) this.addSql(tenantIsolationSql(table));
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table emails drop column if exists attempts, drop column if exists first_failed_at;
      drop table if exists sync_errors, activity_events, processed_emails, cards cascade;
    `);
  }
}
