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

export class Migration20261126060000_insights extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      -- One insight per entity and period (US-BKP-008); a re-run of the same period updates its row.
      create table insight_syntheses (
        ${CONTEXT_COLUMNS},
        entity_type text not null check (entity_type in ('company')),
        -- No foreign key: entity_type says which table entity_id is a row of.
        entity_id uuid not null,
        period_start timestamptz not null,
        period_end timestamptz not null,
        score integer not null check (score >= 0 and score <= 100),
        previous_score integer null check (previous_score >= 0 and previous_score <= 100),
        trend integer null,
        direction text not null check (direction in ('improving', 'declining', 'stable', 'new')),
        components jsonb not null,
        signals jsonb not null,
        previous_signals jsonb null,
        summary text not null,
        provider text not null,
        model text not null,
        prompt_version text not null,
        fallback_reason text null,
        timings jsonb not null,
        run_id uuid not null,
        constraint insight_syntheses_period_check check (period_start < period_end),
        constraint insight_syntheses_entity_period_key unique (tenant_id, entity_id, period_start, period_end)
      );
      -- The tenant-wide list, newest period first.
      create index insight_syntheses_tenant_id_period_end_index on insight_syntheses (tenant_id, period_end, id);

      -- The weekly aggregation reads a tenant's events by time, whatever entity they are about.
      create index activity_events_tenant_id_occurred_at_index on activity_events (tenant_id, occurred_at);
    `);
    this.addSql(tenantIsolationSql('insight_syntheses'));
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop index if exists activity_events_tenant_id_occurred_at_index;
      drop table if exists insight_syntheses cascade;
    `);
  }
}
