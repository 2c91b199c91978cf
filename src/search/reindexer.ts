import { Database } from '../platform/db/database';
import type { Logger } from '../platform/logging/logger';
import type { SearchIndexer } from './search-indexer';
import type { SearchRef, SearchType } from './search-ref';

export interface ReindexOptions {
  /** Only these tenants (ids); default every tenant. */
  tenantIds?: string[];
  /** Re-embed every object, even those whose vector is current. */
  force?: boolean;
  /** Called after each chunk with the objects done so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface ReindexReport {
  tenants: number;
  objects: number;
  /** Documents new or changed in Postgres. */
  written: number;
  embedded: number;
  removed: number;
}

/** Objects per indexing pass: one embedding batch and one upsert each. */
const CHUNK = 500;
/**
 * Chunks of a tenant indexed at once: while Chroma stores one chunk's vectors (most of the time, in its own
 * process), the next is written to Postgres and embedded.
 */
const IN_FLIGHT = 2;

// Every indexed object of the transaction's tenant, plus documents whose object is gone (so they are removed).
// The tenant filter is explicit as well as RLS's: the CLI runs as the owner, whom RLS may not bind.
const ALL_REFS = `
  select 'email' as type, id from emails where tenant_id = $1
  union select 'card', id from cards where tenant_id = $1
  union select 'company', id from companies where tenant_id = $1
  union select 'record', id from business_records where tenant_id = $1
  union select 'activity', id from activity_events where tenant_id = $1
  union select doc_type, entity_id from search_documents where tenant_id = $1`;

/**
 * `pebble reindex`: rebuilds both halves of the unified index from the source tables, tenant by tenant. When
 * a tenant's vectors were made by another embedder, its vector space is dropped first and everything is
 * embedded again; otherwise only what is missing or stale is (all of it with `force`). Safe to interrupt and
 * run again, and safe beside running workers: every write is keyed by the object.
 */
export class Reindexer {
  constructor(
    private readonly db: Database,
    private readonly indexer: SearchIndexer,
    private readonly logger: Logger,
  ) {}

  async run({ tenantIds, force = false, onProgress }: ReindexOptions = {}): Promise<ReindexReport> {
    const tenants = tenantIds ?? (await this.db.query<{ id: string }>('select id from tenants order by created_at')).map((row) => row.id);
    const work = new Map<string, SearchRef[]>();
    for (const tenantId of tenants) work.set(tenantId, await this.refsOf(tenantId));
    const total = [...work.values()].reduce((sum, refs) => sum + refs.length, 0);
    const report: ReindexReport = { tenants: tenants.length, objects: total, written: 0, embedded: 0, removed: 0 };
    let done = 0;
    onProgress?.(done, total);
    for (const [tenantId, refs] of work) {
      const reembed = force || (await this.indexer.prepareForCurrentEmbedder(tenantId));
      const chunks = Array.from({ length: Math.ceil(refs.length / CHUNK) }, (_, index) => refs.slice(index * CHUNK, (index + 1) * CHUNK));
      let next = 0;
      let failure: { error: unknown } | undefined;
      // After a failure no chunk starts, and the one still in flight finishes before the error is thrown.
      const lane = async () => {
        while (!failure && next < chunks.length) {
          const chunk = chunks[next++]!;
          try {
            const outcome = await this.indexer.index(tenantId, chunk, { force: reembed });
            report.written += outcome.written;
            report.embedded += outcome.embedded;
            report.removed += outcome.removed;
            done += chunk.length;
            onProgress?.(done, total);
          } catch (error) {
            failure ??= { error };
          }
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
      if (failure) throw failure.error;
      this.logger.info({ tenant_id: tenantId, objects: refs.length }, 'tenant reindexed');
    }
    return report;
  }

  private refsOf(tenantId: string): Promise<SearchRef[]> {
    return this.db.transaction(async (client) => {
      await Database.setTenant(client, tenantId);
      const { rows } = await client.query<{ type: SearchType; id: string }>(ALL_REFS, [tenantId]);
      return rows;
    });
  }
}
