import type { PoolClient } from 'pg';
import { Database } from '../platform/db/database';
import type { Logger } from '../platform/logging/logger';
import { describeEmbedder, type Embedder } from './embedder';
import { loadDocuments } from './search-documents';
import { refKey, type SearchRef, type SearchType } from './search-ref';
import { EmbedderMismatchError, type VectorIndex } from './vector-index';

/** What one indexing pass did. */
export interface IndexOutcome {
  /** Objects whose document was new or changed in Postgres. */
  written: number;
  /** Objects that no longer exist, removed from both halves. */
  removed: number;
  /** Vectors written to the vector index. */
  embedded: number;
  /** True when the tenant's vectors belong to another embedder: nothing was embedded (see `pebble reindex`). */
  embedderMismatch: boolean;
}

/** Texts per embedding call: large enough to amortise a request, small enough for a remote model's limits. */
const EMBED_BATCH = 64;
/** Vectors per upsert: Chroma stores 512 at a time about 1.5× as fast per vector as 64 (`npm run bench:search`). */
const UPSERT_BATCH = 8 * EMBED_BATCH;
/** Characters of a document that are embedded; the start says what an object is about, and models truncate anyway. */
const EMBED_MAX_CHARS = 4_000;

/**
 * Keeps both halves of the unified index up to date for a set of objects of one tenant. Postgres first: the
 * document (text, hash, full-text vector) commits on its own, so keyword search has it even while the vector
 * index is down. Then the vectors: documents whose embedded hash differs from their content hash are locked,
 * embedded, upserted by their deterministic key and marked, in one transaction; a failure leaves them
 * unmarked for the retry, and a retry can never add a second vector.
 */
export class SearchIndexer {
  private readonly embedderName: string;

  constructor(
    private readonly db: Database,
    private readonly embedder: Embedder,
    private readonly vectors: VectorIndex,
    private readonly logger: Logger,
  ) {
    this.embedderName = describeEmbedder(embedder.identity);
  }

  /** `force` re-embeds documents even when their vector is current (`pebble reindex --force`). */
  async index(tenantId: string, refs: SearchRef[], { force = false }: { force?: boolean } = {}): Promise<IndexOutcome> {
    const { written, missing } = await this.writeDocuments(tenantId, refs);
    await this.vectors.delete(tenantId, missing.map(refKey));
    const outcome = { written, removed: missing.length, embedded: 0, embedderMismatch: false };
    try {
      outcome.embedded = await this.embed(tenantId, refs, force);
    } catch (error) {
      if (!(error instanceof EmbedderMismatchError)) throw error;
      // Every job would fail the same way until someone reindexes; say so and leave the documents marked as not embedded.
      this.logger.error({ tenant_id: tenantId, stored: error.stored, configured: error.configured }, error.message);
      outcome.embedderMismatch = true;
    }
    return outcome;
  }

  /**
   * Drops the tenant's vectors when another embedder made them (they are incomparable with the configured
   * one's); returns true when everything must be embedded again.
   */
  async prepareForCurrentEmbedder(tenantId: string): Promise<boolean> {
    const stored = await this.vectors.embedderOf(tenantId);
    if (stored === null || stored === this.embedderName) return false;
    this.logger.warn({ tenant_id: tenantId, stored, configured: this.embedderName }, 'embedder changed; dropping the tenant\'s vectors to embed everything again');
    await this.vectors.reset(tenantId);
    return true;
  }

  /** Tenants whose vectors another embedder made, by tenant id: a start-up check that says to run `pebble reindex`. */
  async staleTenants(): Promise<Map<string, string>> {
    const stale = new Map<string, string>();
    for (const [tenantId, embedder] of await this.vectors.embedders()) if (embedder !== this.embedderName) stale.set(tenantId, embedder);
    return stale;
  }

  /** `provider/model` of the configured embedder. */
  get embedderDescription(): string {
    return this.embedderName;
  }

  private writeDocuments(tenantId: string, refs: SearchRef[]): Promise<{ written: number; missing: SearchRef[] }> {
    return this.db.transaction(async (client) => {
      await Database.setTenant(client, tenantId);
      const documents = await loadDocuments(client, tenantId, refs);
      const found = new Set(documents.map(refKey));
      const missing = uniqueRefs(refs).filter((ref) => !found.has(refKey(ref)));
      let written = 0;
      if (documents.length > 0) {
        const { rowCount } = await client.query(
          `insert into search_documents (id, tenant_id, source_system, correlation_id, doc_type, entity_id, title, content, content_hash)
           select gen_random_uuid(), $1, x.source_system, x.correlation_id, x.doc_type, x.entity_id, x.title, x.content, x.content_hash
           from unnest($2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[])
             as x(source_system, correlation_id, doc_type, entity_id, title, content, content_hash)
           on conflict (tenant_id, doc_type, entity_id) do update
             set title = excluded.title, content = excluded.content, content_hash = excluded.content_hash,
                 correlation_id = excluded.correlation_id, updated_at = now()
             where search_documents.content_hash <> excluded.content_hash`,
          [
            tenantId,
            documents.map((d) => d.sourceSystem),
            documents.map((d) => d.correlationId),
            documents.map((d) => d.type),
            documents.map((d) => d.id),
            documents.map((d) => d.title),
            documents.map((d) => d.content),
            documents.map((d) => d.contentHash),
          ],
        );
        written = rowCount ?? 0;
      }
      if (missing.length > 0) await deleteDocuments(client, tenantId, missing);
      return { written, missing };
    });
  }

  private embed(tenantId: string, refs: SearchRef[], force: boolean): Promise<number> {
    return this.db.transaction(async (client) => {
      await Database.setTenant(client, tenantId);
      const unique = uniqueRefs(refs);
      // SKIP LOCKED: a document another worker is embedding right now is that worker's; it re-reads the latest text.
      const { rows } = await client.query<{ id: string; doc_type: SearchType; entity_id: string; title: string; content: string }>(
        `select d.id, d.doc_type, d.entity_id, d.title, d.content
         from search_documents d join unnest($1::text[], $2::uuid[]) as x(doc_type, entity_id)
           on d.doc_type = x.doc_type and d.entity_id = x.entity_id
         where d.tenant_id = $5 and ($3 or d.embedded_hash is distinct from d.content_hash or d.embedded_with is distinct from $4)
         order by d.id
         for update of d skip locked`,
        [unique.map((ref) => ref.type), unique.map((ref) => ref.id), force, this.embedderName, tenantId],
      );
      if (rows.length === 0) return 0;
      for (let start = 0; start < rows.length; start += UPSERT_BATCH) {
        const batch = rows.slice(start, start + UPSERT_BATCH);
        const vectors: number[][] = [];
        for (let offset = 0; offset < batch.length; offset += EMBED_BATCH) {
          vectors.push(...(await this.embedder.embed(batch.slice(offset, offset + EMBED_BATCH).map((row) => `${row.title}\n${row.content}`.slice(0, EMBED_MAX_CHARS)))));
        }
        await this.vectors.upsert(
          tenantId,
          batch.map((row, index) => ({ key: refKey({ type: row.doc_type, id: row.entity_id }), type: row.doc_type, vector: vectors[index]! })),
        );
      }
      await client.query(
        `update search_documents set embedded_hash = content_hash, embedded_with = $2, embedded_at = now() where id = any($1::uuid[])`,
        [rows.map((row) => row.id), this.embedderName],
      );
      return rows.length;
    });
  }
}

async function deleteDocuments(client: PoolClient, tenantId: string, refs: SearchRef[]): Promise<void> {
  await client.query(
    `delete from search_documents d using unnest($1::text[], $2::uuid[]) as x(doc_type, entity_id)
     where d.tenant_id = $3 and d.doc_type = x.doc_type and d.entity_id = x.entity_id`,
    [refs.map((ref) => ref.type), refs.map((ref) => ref.id), tenantId],
  );
}

function uniqueRefs(refs: SearchRef[]): SearchRef[] {
  return [...new Map(refs.map((ref) => [refKey(ref), ref])).values()];
}
