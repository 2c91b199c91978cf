import { ChromaClient, ChromaConnectionError, ChromaNotFoundError, ChromaRateLimitError, ChromaServerError, type Collection, type Where } from 'chromadb';
import { ChromaQueries } from './chroma-queries';
import { RequestBatcher } from './request-batcher';
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

/**
 * A tenant's two collections: its activity events, and everything else. Events are a fifth of the vectors,
 * and their short, templated texts crowd the neighbourhood of identifiers (`SO-108940`'s 1,000 nearest
 * vectors held 983 events); searches leave them out unless asked, so apart they cost a default search nothing.
 */
type Space = 'objects' | 'events';
const SPACES: readonly Space[] = ['objects', 'events'];
const spaceOf = (type: SearchType): Space => (type === 'activity' ? 'events' : 'objects');
const TYPES_IN: Record<Space, readonly SearchType[]> = {
  objects: SEARCH_TYPES.filter((type) => spaceOf(type) === 'objects'),
  events: SEARCH_TYPES.filter((type) => spaceOf(type) === 'events'),
};

/** Vectors per upsert request, well under Chroma's own batch limit. */
const UPSERT_CHUNK = 1000;
const LIST_PAGE = 100;
/**
 * Neighbours fetched per wanted one when a query keeps to some of a collection's types, in rounds: 4×, then
 * 20× when the wanted types are rare near the vector. Chroma's metadata filter costs its local server
 * 60-200 ms a query at 50,000 vectors (about a second at 10 clients), however few vectors it keeps; an
 * unfiltered query of 4× the neighbours costs 5-6 ms (`npm run bench:search`).
 */
const OVERFETCH = [4, 20];
/**
 * Unfiltered queries of one collection in flight at once; the rest wait and go out together, since Chroma
 * answers many query vectors in one call for little more than one (on 2 cores, 50 neighbours: 500 vectors/s
 * one per call at 10 clients, 1,100-1,500 in calls of 5-10; `npm run bench:search`).
 */
const QUERY_CONCURRENCY = 2;
const QUERY_BATCH = 32;
const PREFIX = 'pebble-';
const EVENTS_SUFFIX = '-events';

/**
 * Chroma with collections of each tenant's own (`pebble-<tenant id>`, and `pebble-<tenant id>-events` for its
 * activity events): isolation is Chroma's own, not a `where` that a bug could drop, since a query only ever
 * names the caller's collections. Each collection records its embedder in its metadata; one made by another
 * embedder is refused with EmbedderMismatchError.
 */
export class ChromaVectorIndex implements VectorIndex {
  private readonly client: ChromaClient;
  private readonly collections = new Map<string, Collection>();
  private readonly queryEndpoint: ChromaQueries;
  /** Unfiltered queries, batched by collection id (one tenant's collection) and neighbours asked for. */
  private readonly queries: RequestBatcher<{ collection: Collection; vector: number[]; limit: number }, VectorHit[]>;

  constructor(private readonly settings: ChromaSettings) {
    const url = new URL(settings.url);
    const ssl = url.protocol === 'https:';
    this.client = new ChromaClient({ host: url.hostname, port: Number(url.port || (ssl ? 443 : 80)), ssl });
    this.queryEndpoint = new ChromaQueries(url, settings.timeoutMs);
    this.queries = new RequestBatcher(
      // Bounded here too, not only by each caller's `call`: a hung request must give its slot back.
      (_kind, items) => this.call('query', () => this.queryEndpoint.nearest(items[0]!.collection, items.map((item) => item.vector), items[0]!.limit)),
      { concurrency: QUERY_CONCURRENCY, maxItems: QUERY_BATCH },
    );
  }

  static collectionName(tenantId: string, space: Space = 'objects'): string {
    return `${PREFIX}${tenantId}${space === 'events' ? EVENTS_SUFFIX : ''}`;
  }

  async upsert(tenantId: string, items: VectorItem[]): Promise<void> {
    for (const [space, part] of bySpace(items, (item) => item.type)) {
      await this.call('upsert', () =>
        this.withCollection(tenantId, space, true, async (collection) => {
          for (let start = 0; start < part.length; start += UPSERT_CHUNK) {
            const chunk = part.slice(start, start + UPSERT_CHUNK);
            await collection!.upsert({
              ids: chunk.map((item) => item.key),
              embeddings: chunk.map((item) => item.vector),
              metadatas: chunk.map((item) => ({ type: item.type })),
            });
          }
        }),
      );
    }
  }

  async delete(tenantId: string, keys: string[]): Promise<void> {
    for (const [space, part] of bySpace(keys, (key) => parseRefKey(key)?.type ?? 'record')) {
      await this.call('delete', () => this.withCollection(tenantId, space, false, async (collection) => void (await collection?.delete({ ids: part }))));
    }
  }

  /**
   * The nearest vectors of the wanted types (every type when none are given), from each collection that holds
   * some of them, merged by distance. Within a collection, keeping to some of its types asks for OVERFETCH×
   * the neighbours without a filter and keeps the wanted types by their key. When at least `limit` of them are
   * among those, they are exactly the nearest of the wanted types; only when 20× the neighbours hold too few
   * (the wanted types are rare near this vector) is Chroma's filter used.
   */
  async query(tenantId: string, vector: number[], { limit, types }: { limit: number; types?: readonly SearchType[] }): Promise<VectorHit[]> {
    const wanted = new Set<SearchType>(types ?? SEARCH_TYPES);
    const halves = await Promise.all(
      SPACES.map((space) => {
        const kept = [...wanted].filter((type) => spaceOf(type) === space);
        if (kept.length === 0) return [];
        return this.call('query', () => this.withCollection(tenantId, space, false, (collection) => (collection ? this.nearestOf(collection, space, vector, limit, new Set(kept)) : Promise.resolve([]))));
      }),
    );
    return halves
      .flat()
      .sort((a, b) => a.distance - b.distance)
      .slice(0, limit);
  }

  async count(tenantId: string): Promise<number> {
    const counts = await Promise.all(SPACES.map((space) => this.call('count', () => this.withCollection(tenantId, space, false, async (collection) => (collection ? collection.count() : 0)))));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  async embedderOf(tenantId: string): Promise<string | null> {
    const stored = await this.call('read metadata', () => Promise.all(SPACES.map((space) => this.find(tenantId, space))));
    const embedders = stored.filter((collection) => collection !== null).map(embedderIn);
    // A collection filled by another embedder than the configured one is what the caller must hear of.
    return embedders.find((embedder) => embedder !== this.settings.embedder) ?? embedders[0] ?? null;
  }

  embedders(): Promise<Map<string, string>> {
    return this.call('list collections', async () => {
      const found = new Map<string, string>();
      for (let offset = 0; ; offset += LIST_PAGE) {
        const page = await this.client.listCollections({ limit: LIST_PAGE, offset });
        for (const collection of page) {
          if (!collection.name.startsWith(PREFIX)) continue;
          const tenantId = collection.name.slice(PREFIX.length).replace(new RegExp(`${EVENTS_SUFFIX}$`), '');
          const embedder = embedderIn(collection);
          if (!found.has(tenantId) || embedder !== this.settings.embedder) found.set(tenantId, embedder);
        }
        if (page.length < LIST_PAGE) return found;
      }
    });
  }

  async reset(tenantId: string): Promise<void> {
    for (const space of SPACES) {
      const name = ChromaVectorIndex.collectionName(tenantId, space);
      this.collections.delete(name);
      await this.call('reset', async () => {
        try {
          await this.client.deleteCollection({ name });
        } catch (error) {
          if (!(error instanceof ChromaNotFoundError)) throw error;
        }
      });
    }
  }

  /**
   * Runs `work` on one of the tenant's collections (created when `create`, else null if missing). A collection
   * dropped by another process (`pebble reindex`) since it was cached is looked up again once.
   */
  private async withCollection<T>(tenantId: string, space: Space, create: boolean, work: (collection: Collection | null) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const collection = await this.open(tenantId, space, create);
      try {
        return await work(collection);
      } catch (error) {
        if (!(error instanceof ChromaNotFoundError) || attempt > 1) throw error;
        this.collections.delete(ChromaVectorIndex.collectionName(tenantId, space));
      }
    }
  }

  private async open(tenantId: string, space: Space, create: boolean): Promise<Collection | null> {
    const name = ChromaVectorIndex.collectionName(tenantId, space);
    const cached = this.collections.get(name);
    if (cached) return cached;
    const collection = create ? await this.getOrCreate(tenantId, space) : await this.find(tenantId, space);
    if (!collection) return null;
    const stored = embedderIn(collection);
    if (stored !== this.settings.embedder) throw new EmbedderMismatchError(tenantId, stored, this.settings.embedder);
    this.collections.set(name, collection);
    return collection;
  }

  private getOrCreate(tenantId: string, space: Space): Promise<Collection> {
    return this.client.getOrCreateCollection({
      name: ChromaVectorIndex.collectionName(tenantId, space),
      embeddingFunction: null,
      metadata: { embedder: this.settings.embedder, tenant_id: tenantId },
      configuration: { hnsw: { space: 'cosine' } },
    });
  }

  private async find(tenantId: string, space: Space): Promise<Collection | null> {
    try {
      return await this.client.getCollection({ name: ChromaVectorIndex.collectionName(tenantId, space), embeddingFunction: undefined });
    } catch (error) {
      if (error instanceof ChromaNotFoundError) return null;
      throw error;
    }
  }

  /** The nearest `limit` vectors of the wanted types in one collection (see `query`). */
  private async nearestOf(collection: Collection, space: Space, vector: number[], limit: number, wanted: Set<SearchType>): Promise<VectorHit[]> {
    const isWanted = (hit: VectorHit) => wanted.has(parseRefKey(hit.key)?.type as SearchType);
    const nearest = (asked: number) => this.queries.submit(`${collection.id}/${asked}`, { collection, vector, limit: asked });
    // Kept by key even when every type is wanted: a collection written before events had their own may hold some.
    if (TYPES_IN[space].every((type) => wanted.has(type))) return (await nearest(limit)).filter(isWanted);
    for (const factor of OVERFETCH) {
      const asked = limit * factor;
      const candidates = await nearest(asked);
      const kept = candidates.filter(isWanted);
      // Fewer answers than asked means the collection holds no more: every vector of the wanted types is in `kept`.
      if (kept.length >= limit || candidates.length < asked) return kept.slice(0, limit);
    }
    const where: Where = wanted.size === 1 ? { type: [...wanted][0]! } : { type: { $in: [...wanted] } };
    const [hits] = await this.queryEndpoint.nearest(collection, [vector], limit, where);
    return hits!;
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

/** Items by the collection they belong in, leaving out a collection with none. */
function bySpace<T>(items: T[], typeOf: (item: T) => SearchType): [Space, T[]][] {
  return SPACES.map((space) => [space, items.filter((item) => spaceOf(typeOf(item)) === space)] as [Space, T[]]).filter(([, part]) => part.length > 0);
}

function embedderIn(collection: Collection): string {
  return String(collection.metadata?.embedder ?? 'unknown');
}
