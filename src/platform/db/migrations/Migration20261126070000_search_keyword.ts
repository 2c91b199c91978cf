import { Migration } from '@mikro-orm/migrations';

export class Migration20261126070000_search_keyword extends Migration {
  override async up(): Promise<void> {
    // Under row-level security Postgres may not evaluate a non-leakproof operator such as `@@` before the
    // policy, so the app role's full-text search could never use the GIN index: it tested every document of
    // the tenant (100-280 ms at 50,000). This function runs as the owner, where the index applies, and keeps
    // to the same tenant RLS would: the one the caller's transaction set in `app.tenant_id` (none → no rows).
    this.addSql(`
      create function search_keyword_hits(p_query text, p_types text[], p_limit integer)
      returns table (doc_type text, entity_id uuid, exact boolean)
      language sql stable security definer set search_path = public, pg_temp
      as $$
        with query as (
          select websearch_to_tsquery('english', p_query) as strict,
                 coalesce((select string_agg(quote_literal(lexeme), ' | ')
                           from unnest(tsvector_to_array(to_tsvector('english', p_query))) as lexeme), '')::tsquery as loose
        )
        select d.doc_type, d.entity_id, d.search_vector @@ query.strict
        from search_documents d, query
        where d.tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
          and d.doc_type = any(p_types) and d.search_vector @@ query.loose
        order by (d.search_vector @@ query.strict) desc, ts_rank_cd(d.search_vector, query.loose, 1) desc, d.entity_id
        limit least(p_limit, 200)
      $$;
      revoke all on function search_keyword_hits(text, text[], integer) from public;
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists search_keyword_hits(text, text[], integer);');
  }
}
