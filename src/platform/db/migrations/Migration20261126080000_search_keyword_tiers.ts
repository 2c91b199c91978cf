import { Migration } from '@mikro-orm/migrations';

export class Migration20261126080000_search_keyword_tiers extends Migration {
  override async up(): Promise<void> {
    // Same answer as before, in two tiers: documents matching the whole query come first; only when there are
    // fewer of them than asked for is the any-word tier ranked, which for common words means thousands of rows.
    this.addSql(`
      create or replace function search_keyword_hits(p_query text, p_types text[], p_limit integer)
      returns table (doc_type text, entity_id uuid, exact boolean)
      language plpgsql stable security definer set search_path = public, pg_temp
      as $$
      declare
        v_tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
        v_strict tsquery := websearch_to_tsquery('english', p_query);
        v_loose tsquery := coalesce((select string_agg(quote_literal(lexeme), ' | ')
                                     from unnest(tsvector_to_array(to_tsvector('english', p_query))) as lexeme), '')::tsquery;
        v_limit integer := least(p_limit, 200);
        v_exact integer;
      begin
        return query
          select d.doc_type, d.entity_id, true
          from search_documents d
          where d.tenant_id = v_tenant and d.doc_type = any(p_types) and d.search_vector @@ v_strict
          order by ts_rank_cd(d.search_vector, v_loose, 1) desc, d.entity_id
          limit v_limit;
        get diagnostics v_exact = row_count;
        if v_exact >= v_limit then
          return;
        end if;
        return query
          select d.doc_type, d.entity_id, false
          from search_documents d
          where d.tenant_id = v_tenant and d.doc_type = any(p_types) and d.search_vector @@ v_loose
            and not (d.search_vector @@ v_strict)
          order by ts_rank_cd(d.search_vector, v_loose, 1) desc, d.entity_id
          limit v_limit - v_exact;
      end $$;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      create or replace function search_keyword_hits(p_query text, p_types text[], p_limit integer)
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
    `);
  }
}
