import { z } from 'zod';
import type { AuthContext } from '../platform/context/auth-context';
import type { Database } from '../platform/db/database';
import type { Logger } from '../platform/logging/logger';
import { parseInput } from '../platform/validation/parse-input';
import { CommonWords } from './common-words';
import type { Embedder } from './embedder';
import { parseRefKey, refKey, SEARCH_TYPES, type SearchType } from './search-ref';
import type { VectorIndex } from './vector-index';

/** What a search looks in when the caller names no types; events are asked for explicitly. */
export const DEFAULT_SEARCH_TYPES: readonly SearchType[] = ['email', 'card', 'company', 'record'];

export interface SearchHit {
  type: SearchType;
  /** The object's own id: open it with `email`/`card`/`company`/`record` by this id. */
  id: string;
  title: string;
  /** An excerpt with the matched words in `<mark>…</mark>`; everything else is HTML-escaped. */
  snippet: string;
  /** Reciprocal-rank fusion score: higher is better, comparable within one answer only. */
  score: number;
  /** 1-based rank among the vector neighbours, or null when the vector half did not find it. */
  vectorRank: number | null;
  /** 1-based rank among the full-text hits, or null when no query word matched. */
  keywordRank: number | null;
}

export interface SearchResults {
  hits: SearchHit[];
  /** True when the vector half was unavailable and the hits are keyword matches only. */
  degraded: boolean;
}

export interface SearchSettings {
  maxQueryChars: number;
  /** Longest the vector half may take before the answer goes out without it. */
  vectorTimeoutMs: number;
  /**
   * A query word Postgres' statistics put in more documents than this is too common to bring keyword hits on
   * its own when the whole query matches too few: it only ranks what the rarer words found.
   */
  commonWordDocs: number;
  /** Most matches a keyword tier ranks; beyond it, the most recently updated documents are the ones ranked. */
  rankDocs: number;
}

export type SearchInput = { q: string; types?: readonly string[] | null; limit?: number | null };

/** Reciprocal-rank fusion constant: 60 is the value of the original paper, and damps the head of each list. */
const RRF_K = 60;
/** Candidates taken from each half before fusion. */
const CANDIDATES = 50;
/** What `search_snippets` marks the query's words with: chr(1) … chr(2). */
const MARK_START = '\u0001';
const MARK_END = '\u0002';

/**
 * US-BKP-007: one query over emails, cards, companies and CRM/ERP records of the caller's tenant. Hybrid:
 * the vector half finds paraphrases and misspellings, the full-text half finds exact identifiers, and
 * reciprocal-rank fusion merges them without comparing their incomparable scores.
 */
export class SearchService {
  private readonly schema;
  private readonly commonWords: CommonWords;

  constructor(
    private readonly db: Database,
    private readonly embedder: Embedder,
    private readonly vectors: VectorIndex,
    private readonly settings: SearchSettings,
    private readonly logger: Logger,
  ) {
    this.commonWords = new CommonWords(db, settings.commonWordDocs);
    this.schema = z.object({
      q: z.string().trim().min(1, 'must not be empty').max(settings.maxQueryChars, `must be at most ${settings.maxQueryChars} characters`),
      types: z
        .array(z.enum(SEARCH_TYPES, { error: `must be one of ${SEARCH_TYPES.join(', ')}` }))
        .min(1)
        .max(SEARCH_TYPES.length)
        .nullish(),
      limit: z.number().int().min(1, 'must be between 1 and 50').max(50, 'must be between 1 and 50').nullish(),
    });
  }

  async search(auth: AuthContext, input: SearchInput): Promise<SearchResults> {
    const { q, types, limit: asked } = parseInput(this.schema, input);
    const limit = asked ?? 10;
    const wanted = types ? [...new Set(types)] : [...DEFAULT_SEARCH_TYPES];
    const [vector, keyword] = await Promise.all([this.vectorHits(auth, q, wanted), this.keywordHits(auth, q, wanted)]);

    const fused = new Map<string, { score: number; vectorRank: number | null; keywordRank: number | null }>();
    const add = (keys: string[], half: 'vectorRank' | 'keywordRank') =>
      keys.forEach((key, index) => {
        const entry = fused.get(key) ?? { score: 0, vectorRank: null, keywordRank: null };
        entry.score += 1 / (RRF_K + index + 1);
        entry[half] = index + 1;
        fused.set(key, entry);
      });
    add(vector ?? [], 'vectorRank');
    add(keyword.ranked, 'keywordRank');
    // Matching the query as written (every word, an identifier as a phrase) is fused as a third list. Without
    // it an exact match counts no more than a partial one: the vector half ranks near-misses high (INV-2025-0150
    // shares most of INV-2025-0142's hashed features, and a short record beats a long email that quotes it), and
    // with RRF's flat head, "found by both halves" then outweighs the keyword half having put the exact match first.
    keyword.exact.forEach((key, index) => (fused.get(key)!.score += 1 / (RRF_K + index + 1)));
    const ranked = [...fused].sort(([keyA, a], [keyB, b]) => b.score - a.score || keyA.localeCompare(keyB));

    // A vector hit whose document is gone (a stale vector) is dropped here, so take a few spare.
    const shown = await this.documents(auth, q, ranked.slice(0, limit + 5).map(([key]) => key), limit);
    const hits: SearchHit[] = [];
    for (const [key, entry] of ranked) {
      const document = shown.get(key);
      if (!document) continue;
      hits.push({ ...parseRefKey(key)!, title: document.title, snippet: document.snippet!, ...entry });
      if (hits.length === limit) break;
    }
    return { hits, degraded: vector === null };
  }

  /** Keys of the nearest vectors, or null when the vector half is unavailable (the answer is then `degraded`). */
  private async vectorHits(auth: AuthContext, q: string, types: SearchType[]): Promise<string[] | null> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`vector search took longer than ${this.settings.vectorTimeoutMs} ms`));
      }, this.settings.vectorTimeoutMs);
    });
    try {
      const search = async () => {
        const [vector] = await this.embedder.embed([q], controller.signal);
        return this.vectors.query(auth.tenantId, vector!, { limit: CANDIDATES, types });
      };
      const hits = await Promise.race([search(), timeout]);
      return hits.map((hit) => hit.key);
    } catch (error) {
      this.logger.warn({ tenant_id: auth.tenantId, correlation_id: auth.correlationId, err: error }, 'vector search unavailable; answering with keyword hits only');
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Full-text hits, best first. Any query word may match (OR), ranked by cover density; a document that
   * matches the whole query as written (every word, identifiers as phrases) ranks above the rest, and is
   * also listed in `exact`.
   */
  private async keywordHits(auth: AuthContext, q: string, types: SearchType[]): Promise<{ ranked: string[]; exact: string[] }> {
    // A function of the migrations, so the GIN index applies despite RLS; it keeps to the tenant it is given.
    const rows = await this.db.statement<{ doc_type: string; entity_id: string; exact: boolean }>(
      'select doc_type, entity_id, exact from search_keyword_hits($1, $2, $3::text[], $4, $5::text[], $6)',
      [auth.tenantId, q, types, CANDIDATES, await this.commonWords.get(), this.settings.rankDocs],
    );
    const ranked = rows.map((row) => `${row.doc_type}:${row.entity_id}`);
    return { ranked, exact: ranked.filter((_, index) => rows[index]!.exact) };
  }

  /**
   * Titles of the documents of `keys` that exist, by key, and highlighted snippets of the first `shown` of them
   * in the order of `keys`: the spares behind them are only read in case a document is gone.
   */
  private async documents(auth: AuthContext, q: string, keys: string[], shown: number): Promise<Map<string, { title: string; snippet: string | null }>> {
    const refs = keys.map(parseRefKey).filter((ref) => ref !== null);
    if (refs.length === 0) return new Map();
    // Read as the caller, under RLS, scoped to the tenant given for this one statement.
    const rows = await this.db.statement<{ doc_type: SearchType; entity_id: string; title: string; snippet: string | null }>(
      'select doc_type, entity_id, title, snippet from search_snippets($1, $2, $3::text[], $4::uuid[], $5)',
      [auth.tenantId, q, refs.map((ref) => ref.type), refs.map((ref) => ref.id), shown],
    );
    return new Map(
      rows.map((row) => [refKey({ type: row.doc_type, id: row.entity_id }), { title: row.title, snippet: row.snippet === null ? null : highlight(row.snippet) }]),
    );
  }
}

/** Escapes the excerpt for HTML, then turns Postgres' match markers into `<mark>` elements. */
function highlight(snippet: string): string {
  const escaped = snippet.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
  return escaped.replaceAll(MARK_START, '<mark>').replaceAll(MARK_END, '</mark>').replace(/\s+/g, ' ').trim();
}
