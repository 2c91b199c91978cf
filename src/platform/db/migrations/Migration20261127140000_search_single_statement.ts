import { Migration } from '@mikro-orm/migrations';
import { SEARCH_RANK_CANDIDATES_FUNCTION } from './Migration20261127120000_search_rank_candidates';

/** The keyword function this migration creates; the next version's `down()` creates it again. */
export const SEARCH_TENANT_KEYWORD_FUNCTION = `
      create function search_keyword_hits(p_tenant uuid, p_query text, p_types text[], p_limit integer, p_common_docs integer, p_rank_docs integer)
      returns table (doc_type text, entity_id uuid, exact boolean)
      language plpgsql stable security definer set search_path = public, pg_temp
      as $$
      declare
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
 * A search read its two halves in two transactions of four round trips each (`begin`, `set_config`, the
 * statement, `commit`); under 10 clients those round trips cost a fifth of the searches per second
 * (`npm run bench:search`). Both reads are now one statement each, on functions given the caller's tenant:
 * - `search_keyword_hits` (security definer, so the GIN index applies under RLS) keeps to `p_tenant` as it kept
 *   to `app.tenant_id` before;
 * - `search_snippets` reads titles and highlighted snippets as the caller, under RLS: it sets `app.tenant_id` to
 *   `p_tenant` for its own statement and gives the caller's setting back before it returns.
 */
export class Migration20261127140000_search_single_statement extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop function search_keyword_hits(text, text[], integer, integer, integer);');
    this.addSql(SEARCH_TENANT_KEYWORD_FUNCTION);
    this.addSql('revoke all on function search_keyword_hits(uuid, text, text[], integer, integer, integer) from public;');
    // Snippets mark the query's words with chr(1) … chr(2), which src/search turns into <mark> after escaping.
    this.addSql(`
      create function search_snippets(p_tenant uuid, p_query text, p_types text[], p_ids uuid[], p_shown integer)
      returns table (doc_type text, entity_id uuid, title text, snippet text)
      language plpgsql volatile security invoker set search_path = public, pg_temp
      as $$
      declare
        v_scope text := current_setting('app.tenant_id', true);
      begin
        perform set_config('app.tenant_id', p_tenant::text, true);
        return query
          with query as (
            select coalesce((select string_agg(quote_literal(lexeme), ' | ') from unnest(tsvector_to_array(to_tsvector('english', p_query))) as lexeme), '')::tsquery as loose
          ), found as (
            select d.doc_type, d.entity_id, d.title, d.content, row_number() over (order by x.position) as place
            from search_documents d join unnest(p_types, p_ids) with ordinality as x(doc_type, entity_id, position)
              on d.doc_type = x.doc_type and d.entity_id = x.entity_id
            where d.tenant_id = p_tenant
          )
          select found.doc_type, found.entity_id, found.title,
                 case when found.place <= p_shown then
                   ts_headline('english', left(found.content, 5000), query.loose,
                     'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "')
                 end
          from found, query;
        perform set_config('app.tenant_id', coalesce(v_scope, ''), true);
      end $$;
    `);
    this.addSql('revoke all on function search_snippets(uuid, text, text[], uuid[], integer) from public;');
  }

  override async down(): Promise<void> {
    this.addSql('drop function search_snippets(uuid, text, text[], uuid[], integer);');
    this.addSql('drop function search_keyword_hits(uuid, text, text[], integer, integer, integer);');
    this.addSql(SEARCH_RANK_CANDIDATES_FUNCTION);
    this.addSql('revoke all on function search_keyword_hits(text, text[], integer, integer, integer) from public;');
  }
}
