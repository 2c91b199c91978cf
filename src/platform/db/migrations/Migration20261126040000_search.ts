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

export class Migration20261126040000_search extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      -- The unified index's Postgres half: one row per indexed object with the text that was embedded, its
      -- full-text vector (the keyword half of hybrid search) and what Chroma holds of it.
      create table search_documents (
        ${CONTEXT_COLUMNS},
        doc_type text not null check (doc_type in ('email', 'card', 'company', 'record', 'activity')),
        entity_id uuid not null,
        title text not null,
        content text not null,
        content_hash text not null,
        -- The content_hash and embedder of the vector in Chroma; differing from the row means (re)embed it.
        embedded_hash text null,
        embedded_with text null,
        embedded_at timestamptz null,
        search_vector tsvector generated always as (
          setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', content), 'B')
        ) stored,
        constraint search_documents_tenant_id_doc_type_entity_id_key unique (tenant_id, doc_type, entity_id)
      );
      create index search_documents_search_vector_index on search_documents using gin (search_vector);
      create index search_documents_unembedded_index on search_documents (tenant_id)
        where embedded_hash is null or embedded_hash <> content_hash;
    `);
    this.addSql(tenantIsolationSql('search_documents'));
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists search_documents cascade;');
  }
}
