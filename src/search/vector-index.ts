import type { SearchType } from './search-ref';

export interface VectorItem {
  /** `<type>:<id>` (see `refKey`): writing the same key again replaces the vector. */
  key: string;
  type: SearchType;
  vector: number[];
}

export interface VectorHit {
  key: string;
  /** Cosine distance: 0 is the same direction, 2 the opposite. */
  distance: number;
}

/**
 * Where vectors live. Each tenant has a space of its own that no query of another tenant can reach, and
 * each space records the embedder that filled it.
 */
export interface VectorIndex {
  upsert(tenantId: string, items: VectorItem[]): Promise<void>;
  delete(tenantId: string, keys: string[]): Promise<void>;
  /** Nearest neighbours within the tenant's space, optionally only of some types. */
  query(tenantId: string, vector: number[], options: { limit: number; types?: readonly SearchType[] }): Promise<VectorHit[]>;
  count(tenantId: string): Promise<number>;
  /** The embedder recorded for the tenant's space, or null when it has none yet. */
  embedderOf(tenantId: string): Promise<string | null>;
  /** The embedder recorded for every tenant space there is, by tenant id. */
  embedders(): Promise<Map<string, string>>;
  /** Drops the tenant's space; the next write creates it again for the current embedder. */
  reset(tenantId: string): Promise<void>;
}

/** The index answered with an error or not at all: worth retrying later. */
export class VectorIndexUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VectorIndexUnavailableError';
  }
}

/** The tenant's vectors were made by another embedder than the configured one: `pebble reindex` fixes it. */
export class EmbedderMismatchError extends Error {
  constructor(
    readonly tenantId: string,
    readonly stored: string,
    readonly configured: string,
  ) {
    super(`Tenant ${tenantId}'s vectors were made by ${stored}, but the embedder is now ${configured}: run \`pebble reindex\``);
    this.name = 'EmbedderMismatchError';
  }
}
