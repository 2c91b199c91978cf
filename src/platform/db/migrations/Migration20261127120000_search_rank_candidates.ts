import { Migration } from '@mikro-orm/migrations';
import { SEARCH_COMMON_WORDS_FUNCTION } from './Migration20261127090000_search_common_words';

/** The function this migration creates; the next version's `down()` creates it again. */
export const SEARCH_RANK_CANDIDATES_FUNCTION = `
      create function search_keyword_hits(p_query text, p_types text[], p_limit integer, p_common_docs integer, p_rank_docs integer)
      returns table (doc_type text, entity_id uuid, exact boolean)
      language plpgsql stable security definer set search_path = public, pg_temp
      as $$
      declare
        v_tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
        v_strict tsquery := websearch_to_tsquery('english', p_query);
        v_words text[] := tsvector_to_array(to_tsvector('english', p_query));
        v_loose tsquery := coalesce((select string_agg(quote_literal(word), ' | ') from unnest(v_words) as word), '')::tsquery;
        v_limit integer := least(p_limit, 200);
        v_rank_docs integer := greatest(p_rank_docs, v_limit);
        v_common text[];
        v_rare tsquery;
        v_exact integer;
      begin
        return query
          select c.doc_type, c.entity_id, true
          from (
            select d.doc_type, d.entity_id, d.search_vector
            from search_documents d
            where d.tenant_id = v_tenant and d.doc_type = any(p_types) and d.search_vector @@ v_strict
            order by d.updated_at desc, d.entity_id
            limit v_rank_docs
          ) c
          order by ts_rank_cd(c.search_vector, v_loose, 1) desc, c.entity_id
          limit v_limit;
        get diagnostics v_exact = row_count;
        if v_exact >= v_limit then
          return;
        end if;
        -- Frequencies are shares of all rows of the table, every tenant's; the estimate is the planner's own.
        v_common := array(
          select s.word
          from pg_stats cross join lateral unnest(most_common_elems::text::text[], most_common_elem_freqs) as s(word, share)
          where schemaname = 'public' and tablename = 'search_documents' and attname = 'search_vector'
            and s.word = any(v_words)
            and s.share * (select greatest(reltuples, 0) from pg_class where oid = 'public.search_documents'::regclass) > p_common_docs);
        v_rare := coalesce((select string_agg(quote_literal(word), ' | ') from unnest(v_words) as word where word <> all(v_common)), '')::tsquery;
        if numnode(v_rare) = 0 then
          return;
        end if;
        return query
          select c.doc_type, c.entity_id, false
          from (
            select d.doc_type, d.entity_id, d.search_vector
            from search_documents d
            where d.tenant_id = v_tenant and d.doc_type = any(p_types) and d.search_vector @@ v_rare
              and not (d.search_vector @@ v_strict)
            order by d.updated_at desc, d.entity_id
            limit v_rank_docs
          ) c
          order by ts_rank_cd(c.search_vector, v_loose, 1) desc, c.entity_id
          limit v_limit - v_exact;
      end $$;
    `;

/**
 * Each tier of `search_keyword_hits` ranked every document it matched with `ts_rank_cd`: a common phrase such as
 * `return authorisation` matched 5,900 of 50,000 documents, and ranking them was three quarters of its 20 ms.
 * Now a tier ranks at most `p_rank_docs` of its matches, the most recently updated ones (a document is rewritten
 * whenever its object changes), so a phrase that thousands of documents hold finds the best-ranked among the
 * latest thousand. Below the cap the answers are those of the previous version.
 */
export class Migration20261127120000_search_rank_candidates extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop function search_keyword_hits(text, text[], integer, integer);');
    this.addSql(SEARCH_RANK_CANDIDATES_FUNCTION);
    this.addSql('revoke all on function search_keyword_hits(text, text[], integer, integer, integer) from public;');
  }

  override async down(): Promise<void> {
    this.addSql('drop function search_keyword_hits(text, text[], integer, integer, integer);');
    this.addSql(SEARCH_COMMON_WORDS_FUNCTION);
    this.addSql('revoke all on function search_keyword_hits(text, text[], integer, integer) from public;');
  }
}
