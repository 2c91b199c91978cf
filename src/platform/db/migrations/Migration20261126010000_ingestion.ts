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

export class Migration20261126010000_ingestion extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      -- One row per accepted ingestion; its id is the tracking id and the id of its email_processing job.
      -- Only the primary key is indexed: every index is paid for on the ingestion hot path.
      create table emails (
        ${CONTEXT_COLUMNS},
        status text not null default 'queued' check (status in ('queued', 'processing', 'carded', 'duplicate', 'dead')),
        subject text not null,
        from_address text not null,
        from_name text null,
        to_addresses jsonb not null default '[]',
        cc_addresses jsonb not null default '[]',
        body text not null,
        attachment_urls jsonb not null default '[]',
        attachments jsonb not null default '[]',
        message_id text null,
        in_reply_to text null,
        reference_ids jsonb not null default '[]',
        received_at timestamptz not null,
        raw bytea not null,
        raw_content_type text not null,
        parse_problems jsonb not null default '[]',
        message_id_hash text null,
        card_id uuid null,
        processing_started_at timestamptz null,
        finished_at timestamptz null,
        last_error text null
      );

      -- Idempotency-Key ledger: the first response per (tenant, key) for 24 hours.
      create table ingestion_keys (
        ${CONTEXT_COLUMNS},
        key text not null,
        email_id uuid not null,
        constraint ingestion_keys_tenant_id_key_key unique (tenant_id, key)
      );

      -- Every api process caches the blacklist and reloads it when told; statement-level, so a bulk change
      -- sends one notification.
      create function notify_blacklist_changed() returns trigger
      language plpgsql as $$ begin perform pg_notify('pebble_blacklist_changed', ''); return null; end $$;
      create trigger blacklist_entries_changed after insert or update or delete or truncate on blacklist_entries
        for each statement execute function notify_blacklist_changed();
    `);
    for (const table of ['emails', 'ingestion_keys']) this.addSql(tenantIsolationSql(table));
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop trigger if exists blacklist_entries_changed on blacklist_entries;
      drop function if exists notify_blacklist_changed();
      drop table if exists ingestion_keys, emails cascade;
    `);
  }
}
