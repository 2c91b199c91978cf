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

/** What JavaScript's `String.prototype.trim` removes: every Unicode space separator, line terminators, tab, VT, FF and BOM. */
const JS_WHITESPACE = String.raw`E'\t\n\x0b\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff'`;

/**
 * `thread_references`: the Message-IDs that carded emails name in In-Reply-To or References but that no email
 * of the tenant had when they were carded, with the card that names them, so an original processed after its
 * reply finds the reply's card (src/pipeline/card-batch-writer.ts). References to emails already claimed are not
 * stored: a claimed Message-ID is never claimed again. The hashes are `hashMessageId`'s, and an index on
 * (tenant, hash) answers with `=`, which row-level security lets Postgres use as an index condition (it does not
 * let it use `&&` on an array, which is not leakproof). No foreign key to cards: the lookup joins cards, which
 * skips a card that is gone, and both are deleted with their tenant.
 *
 * `normalize_message_id` and `hash_message_id` are `normalizeMessageId` and `hashMessageId` in SQL, byte for
 * byte; the backfill uses them, and tests hold them to the TypeScript functions.
 */
export class Migration20261127110000_thread_lookup extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function normalize_message_id(raw text) returns text
      language sql immutable strict parallel safe
      as $$ select btrim(rtrim(ltrim(btrim(raw, ${JS_WHITESPACE}), '<'), '>'), ${JS_WHITESPACE}) $$;

      create function hash_message_id(raw text) returns text
      language sql stable strict parallel safe
      as $$ select encode(sha256(convert_to('message-id:' || normalize_message_id(raw), 'UTF8')), 'hex') $$;

      create table thread_references (
        ${CONTEXT_COLUMNS},
        referenced_hash text not null,
        card_id uuid not null,
        constraint thread_references_tenant_id_referenced_hash_card_id_key unique (tenant_id, referenced_hash, card_id)
      );
    `);
    this.addSql(tenantIsolationSql('thread_references'));
    // Emails carded before this migration: the same rows the pipeline writes (the owner is not limited by RLS).
    this.addSql(`
      insert into thread_references (id, tenant_id, source_system, correlation_id, referenced_hash, card_id)
      select gen_random_uuid(), e.tenant_id, 'email-pipeline', e.correlation_id, hash_message_id(ref.id), e.card_id
      from emails e
      cross join lateral (
        select e.in_reply_to as id
        union all
        select value #>> '{}' from jsonb_array_elements(case when jsonb_typeof(e.reference_ids) = 'array' then e.reference_ids else '[]' end)
        where jsonb_typeof(value) = 'string'
      ) ref
      where e.status = 'carded' and e.card_id is not null and normalize_message_id(ref.id) <> ''
        and not exists (select from processed_emails p where p.tenant_id = e.tenant_id and p.message_id_hash = hash_message_id(ref.id))
      on conflict (tenant_id, referenced_hash, card_id) do nothing;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop table if exists thread_references cascade;
      drop function if exists hash_message_id(text);
      drop function if exists normalize_message_id(text);
    `);
  }
}
