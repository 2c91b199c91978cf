import { Migration } from '@mikro-orm/migrations';
import { SEARCH_COMMON_LIST_KEYWORD_FUNCTION } from './Migration20261127150000_search_common_words_list';

/**
 * A keyword tier of a broad query ("return authorisation" matches 5,900 of 50,000 documents) chose its newest
 * `p_rank_docs` matches by sorting every match with its tsvector attached, ~1 KB each, and the any-word tier
 * tested every match of its words against the whole query again to leave out the documents the first tier had.
 * Now each tier chooses its newest matches on narrow columns (their row addresses, read back within the same
 * statement and snapshot), and only those have their tsvector read and ranked; the any-word tier takes as
 * many more as the first tier found and tests only those against the whole query. The answers are the same
 * (all 170 queries of `npm run bench:search`, three type filters each); the broadest queries take ~40 % less.
 */
export class Migration20261127170000_search_narrow_candidates extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop function search_keyword_hits(uuid, text, text[], integer, text[], integer);');
    this.addSql(`
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
          select d.doc_type, d.entity_id, true
          from search_documents d
          where d.ctid = any(array(
              select m.ctid
              from search_documents m
              where m.tenant_id = p_tenant and m.doc_type = any(p_types) and m.search_vector @@ v_strict
              order by m.updated_at desc, m.entity_id
              limit v_rank_docs))
            and d.tenant_id = p_tenant
          order by ts_rank_cd(d.search_vector, v_loose, 1) desc, d.entity_id
          limit v_limit;
        get diagnostics v_exact = row_count;
        if v_exact >= v_limit then
          return;
        end if;
        v_rare := coalesce((select string_agg(quote_literal(word), ' | ') from unnest(v_words) as word where not (word = any(coalesce(p_common, '{}')))), '')::tsquery;
        if numnode(v_rare) = 0 then
          return;
        end if;
        -- Fewer than v_limit documents match the whole query, so the first tier answered all v_exact of them:
        -- the newest v_rank_docs + v_exact matches of the rare words hold the newest v_rank_docs that are not those.
        return query
          select c.doc_type, c.entity_id, false
          from (
            select d.doc_type, d.entity_id, d.search_vector
            from search_documents d
            where d.ctid = any(array(
                select m.ctid
                from search_documents m
                where m.tenant_id = p_tenant and m.doc_type = any(p_types) and m.search_vector @@ v_rare
                order by m.updated_at desc, m.entity_id
                limit v_rank_docs + v_exact))
              and d.tenant_id = p_tenant and not (d.search_vector @@ v_strict)
            order by d.updated_at desc, d.entity_id
            limit v_rank_docs
          ) c
          order by ts_rank_cd(c.search_vector, v_loose, 1) desc, c.entity_id
          limit v_limit - v_exact;
      end $$;
    `);
    this.addSql('revoke all on function search_keyword_hits(uuid, text, text[], integer, text[], integer) from public;');
  }

  override async down(): Promise<void> {
    this.addSql('drop function search_keyword_hits(uuid, text, text[], integer, text[], integer);');
    this.addSql(SEARCH_COMMON_LIST_KEYWORD_FUNCTION);
    this.addSql('revoke all on function search_keyword_hits(uuid, text, text[], integer, text[], integer) from public;');
  }
}
