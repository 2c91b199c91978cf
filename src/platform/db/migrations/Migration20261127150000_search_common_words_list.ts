import { Migration } from '@mikro-orm/migrations';
import { SEARCH_TENANT_KEYWORD_FUNCTION } from './Migration20261127140000_search_single_statement';

/** The keyword function this migration creates; the next version's `down()` creates it again. */
export const SEARCH_COMMON_LIST_KEYWORD_FUNCTION = `
      create function search_keyword_hits(p_tenant uuid, p_query text, p_types text[], p_limit integer, p_common text[], p_rank_docs integer)
      returns table (doc_type text, entity_id uuid, exact boolean)
      language plpgsql stable security definer set search_path = public, pg_temp
      as $$
      declare
        v_strict tsquery := websearch_to_tsquery('english', p_query);
        v_words text[] := tsvector_to_array(to_tsvector('english', p_query));
        v_loose tsquery := coalesce((select string_agg(quote_literal(word), ' | ') from unnest(v_words) as word), '')::tsquery;
        v_limit integer := least(p_limit, 200);
        v_rank_docs integer := greatest(p_rank_docs, v_limit);
        v_rare tsquery;
        v_exact integer;
      begin
        return query
          select c.doc_type, c.entity_id, true
          from (
            select d.doc_type, d.entity_id, d.search_vector
            from search_documents d
            where d.tenant_id = p_tenant and d.doc_type = any(p_types) and d.search_vector @@ v_strict
            order by d.updated_at desc, d.entity_id
            limit v_rank_docs
          ) c
          order by ts_rank_cd(c.search_vector, v_loose, 1) desc, c.entity_id
          limit v_limit;
        get diagnostics v_exact = row_count;
        if v_exact >= v_limit then
          return;
        end if;
        v_rare := coalesce((select string_agg(quote_literal(word), ' | ') from unnest(v_words) as word where not (word = any(coalesce(p_common, '{}')))), '')::tsquery;
        if numnode(v_rare) = 0 then
          return;
        end if;
        return query
          select c.doc_type, c.entity_id, false
          from (
            select d.doc_type, d.entity_id, d.search_vector
            from search_documents d
            where d.tenant_id = p_tenant and d.doc_type = any(p_types) and d.search_vector @@ v_rare
              and not (d.search_vector @@ v_strict)
            order by d.updated_at desc, d.entity_id
            limit v_rank_docs
          ) c
          order by ts_rank_cd(c.search_vector, v_loose, 1) desc, c.entity_id
          limit v_limit - v_exact;
      end $$;
    `;

/**
 * `search_keyword_hits` read Postgres' statistics (`pg_stats.most_common_elems`, a thousand lexemes cast from
 * `anyarray`) on every search that reached its any-word tier: 0.26 of the 0.6 ms a typical keyword statement
 * took. Now `search_common_words(p_docs)` reads them, the api keeps the answer for a few minutes
 * (src/search/common-words.ts), and `search_keyword_hits` is given the list. Statistics change only when the
 * table is analysed, so the list goes stale by no more than the api's refresh interval.
 */
export class Migration20261127150000_search_common_words_list extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function search_common_words(p_docs integer)
      returns text[]
      language sql stable security definer set search_path = public, pg_temp
      as $$
        -- Frequencies are shares of all rows of the table, every tenant's; the estimate is the planner's own.
        select coalesce(array_agg(s.word order by s.word), '{}')
        from pg_stats cross join lateral unnest(most_common_elems::text::text[], most_common_elem_freqs) as s(word, share)
        where schemaname = 'public' and tablename = 'search_documents' and attname = 'search_vector' and s.word is not null
          and s.share * (select greatest(reltuples, 0) from pg_class where oid = 'public.search_documents'::regclass) > p_docs
      $$;
    `);
    this.addSql('revoke all on function search_common_words(integer) from public;');
    this.addSql('drop function search_keyword_hits(uuid, text, text[], integer, integer, integer);');
    this.addSql(SEARCH_COMMON_LIST_KEYWORD_FUNCTION);
    this.addSql('revoke all on function search_keyword_hits(uuid, text, text[], integer, text[], integer) from public;');
  }

  override async down(): Promise<void> {
    this.addSql('drop function search_keyword_hits(uuid, text, text[], integer, text[], integer);');
    this.addSql(SEARCH_TENANT_KEYWORD_FUNCTION);
    this.addSql('revoke all on function search_keyword_hits(uuid, text, text[], integer, integer, integer) from public;');
    this.addSql('drop function search_common_words(integer);');
  }
}
