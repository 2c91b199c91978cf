import { ChromaClient, ChromaConnectionError, ChromaNotFoundError, ChromaRateLimitError, ChromaServerError, type Collection, type Where } from 'chromadb';
import { parseRefKey, SEARCH_TYPES, type SearchType } from './search-ref';
import { EmbedderMismatchError, VectorIndexUnavailableError, type VectorHit, type VectorIndex, type VectorItem } from './vector-index';

export interface ChromaSettings {
  /** e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** `provider/model` of the configured embedder, recorded with every collection this creates. */
  embedder: string;
  /** Longest one call may take; the client cannot cancel it, so a hung call is abandoned, not aborted. */
  timeoutMs: number;
}

/** Vectors per upsert request, well under Chroma's own batch limit. */
const UPSERT_CHUNK = 1000;
const LIST_PAGE = 100;
/**
 * Neighbours fetched per wanted one when a query keeps to some types, in rounds: 4×, then 20× when the wanted
 * types are rare near the vector. Chroma's metadata filter costs its local server 60-200 ms a query at 50,000
 * vectors (about a second at 10 clients), however few vectors it keeps; an unfiltered query of 4× the
 * neighbours costs 5-6 ms (`npm run bench:search`).
 */
const OVERFETCH = [4, 20];
const PREFIX = 'pebble-';

/**
 * Chroma with one collection per tenant (`pebble-<tenant id>`): isolation is Chroma's own, not a `where`
 * that a bug could drop, since a query only ever names the caller's collection. Each collection records its
 * embedder in its metadata; one made by another embedder is refused with EmbedderMismatchError.
 */
export class ChromaVectorIndex implements VectorIndex {
  private readonly client: ChromaClient;
  private readonly collections = new Map<string, Collection>();

  constructor(private readonly settings: ChromaSettings) {
    const url = new URL(settings.url);
    const ssl = url.protocol === 'https:';
    this.client = new ChromaClient({ host: url.hostname, port: Number(url.port || (ssl ? 443 : 80)), ssl });
  }

  static collectionName(tenantId: string): string {
    return `${PREFIX}${tenantId}`;
  }

  async upsert(tenantId: string, items: VectorItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.call('upsert', () =>
      this.withCollection(tenantId, true, async (collection) => {
        for (let start = 0; start < items.length; start += UPSERT_CHUNK) {
          const chunk = items.slice(start, start + UPSERT_CHUNK);
          await collection!.upsert({
            ids: chunk.map((item) => item.key),
            embeddings: chunk.map((item) => item.vector),
            metadatas: chunk.map((item) => ({ type: item.type })),
          });
        }
      }),
    );
  }

  async delete(tenantId: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.call('delete', () => this.withCollection(tenantId, false, async (collection) => void (await collection?.delete({ ids: keys }))));
  }

  /**
   * Keeping to some types, the query asks for OVERFETCH× the neighbours without a filter and keeps the wanted
   * types by their key. When at least `limit` of them are among those, they are exactly the nearest of the
   * wanted types; only when 20× the neighbours hold too few (the wanted types are rare near this vector) is
   * Chroma's filter used.
   */
  query(tenantId: string, vector: number[], { limit, types }: { limit: number; types?: readonly SearchType[] }): Promise<VectorHit[]> {
    const wanted = !types || types.length === SEARCH_TYPES.length ? null : new Set(types);
    return this.call('query', () =>
      this.withCollection(tenantId, false, async (collection) => {
        if (!collection) return [];
        if (!wanted) return nearest(collection, vector, limit);
        for (const factor of OVERFETCH) {
          const asked = limit * factor;
          const candidates = await nearest(collection, vector, asked);
          const kept = candidates.filter((hit) => wanted.has(parseRefKey(hit.key)?.type as SearchType));
          // Fewer answers than asked means the collection holds no more: every vector of the wanted types is in `kept`.
          if (kept.length >= limit || candidates.length < asked) return kept.slice(0, limit);
        }
        return nearest(collection, vector, limit, wanted.size === 1 ? { type: [...wanted][0]! } : { type: { $in: [...wanted] } });
      }),
    );
  }

  count(tenantId: string): Promise<number> {
    return this.call('count', () => this.withCollection(tenantId, false, async (collection) => (collection ? collection.count() : 0)));
  }

  async embedderOf(tenantId: string): Promise<string | null> {
    return this.call('read metadata', async () => {
      const collection = await this.find(tenantId);
      return collection ? String(collection.metadata?.embedder ?? 'unknown') : null;
    });
  }

  embedders(): Promise<Map<string, string>> {
    return this.call('list collections', async () => {
      const found = new Map<string, string>();
      for (let offset = 0; ; offset += LIST_PAGE) {
        const page = await this.client.listCollections({ limit: LIST_PAGE, offset });
        for (const collection of page) {
          if (collection.name.startsWith(PREFIX)) found.set(collection.name.slice(PREFIX.length), String(collection.metadata?.embedder ?? 'unknown'));
        }
        if (page.length < LIST_PAGE) return found;
      }
    });
  }

  async reset(tenantId: string): Promise<void> {
    this.collections.delete(tenantId);
    await this.call('reset', async () => {
      try {
        await this.client.deleteCollection({ name: ChromaVectorIndex.collectionName(tenantId) });
      } catch (error) {
        if (!(error instanceof ChromaNotFoundError)) throw error;
      }
    });
  }

  /**
   * Runs `work` on the tenant's collection (created when `create`, else null if missing). A collection
   * dropped by another process (`pebble reindex`) since it was cached is looked up again once.
   */
  private async withCollection<T>(tenantId: string, create: boolean, work: (collection: Collection | null) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const collection = await this.open(tenantId, create);
      try {
        return await work(collection);
      } catch (error) {
        if (!(error instanceof ChromaNotFoundError) || attempt > 1) throw error;
        this.collections.delete(tenantId);
      }
    }
  }

  private async open(tenantId: string, create: boolean): Promise<Collection | null> {
    const cached = this.collections.get(tenantId);
    if (cached) return cached;
    const collection = create ? await this.getOrCreate(tenantId) : await this.find(tenantId);
    if (!collection) return null;
    const stored = String(collection.metadata?.embedder ?? 'unknown');
    if (stored !== this.settings.embedder) throw new EmbedderMismatchError(tenantId, stored, this.settings.embedder);
    this.collections.set(tenantId, collection);
    return collection;
  }

  private getOrCreate(tenantId: string): Promise<Collection> {
    return this.client.getOrCreateCollection({
      name: ChromaVectorIndex.collectionName(tenantId),
      embeddingFunction: null,
      metadata: { embedder: this.settings.embedder, tenant_id: tenantId },
      configuration: { hnsw: { space: 'cosine' } },
    });
  }

  private async find(tenantId: string): Promise<Collection | null> {
    try {
      return await this.client.getCollection({ name: ChromaVectorIndex.collectionName(tenantId), embeddingFunction: undefined });
    } catch (error) {
      if (error instanceof ChromaNotFoundError) return null;
      throw error;
    }
  }

  /** Bounds a call by the timeout and turns outages (no connection, 5xx, 429, timeout) into VectorIndexUnavailableError. */
  private async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new VectorIndexUnavailableError(`Chroma ${what} took longer than ${this.settings.timeoutMs} ms`)), this.settings.timeoutMs);
    });
    try {
      return await Promise.race([work(), timeout]);
    } catch (error) {
      if (error instanceof ChromaConnectionError || error instanceof ChromaServerError || error instanceof ChromaRateLimitError) {
        throw new VectorIndexUnavailableError(`Chroma ${what} failed at ${this.settings.url}: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

async function nearest(collection: Collection, vector: number[], limit: number, where?: Where): Promise<VectorHit[]> {
  const result = await collection.query({ queryEmbeddings: [vector], nResults: limit, where, include: ['distances'] as never });
  const distances = result.distances[0] ?? [];
  return (result.ids[0] ?? []).map((key, index) => ({ key, distance: distances[index] ?? 2 }));
}
