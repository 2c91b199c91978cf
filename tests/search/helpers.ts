import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { resolveChroma, type ChromaServer } from '../../src/platform/chroma/chroma-server';
import { freePort } from '../../src/platform/db/postgres';
import { createLogger } from '../../src/platform/logging/logger';
import { ChromaVectorIndex } from '../../src/search/chroma.vector-index';
import type { TestEnv } from '../setup/test-env';
import { eventually } from '../setup/worker';

export interface RestHit {
  type: string;
  id: string;
  title: string;
  snippet: string;
  score: number;
  vector_rank: number | null;
  keyword_rank: number | null;
}

export interface RestResults {
  degraded: boolean;
  hits: RestHit[];
}

/** `GET /api/v1/search/unified` with these query parameters. */
export function searchRest(env: TestEnv | { api: TestEnv['api'] }, token: string | undefined, query: Record<string, string>): Promise<LightMyRequestResponse> {
  return env.api.app.inject({
    method: 'GET',
    url: '/api/v1/search/unified',
    query,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** Waits until no email or indexing job is waiting, running or due for a retry. */
export function settled(env: TestEnv, timeoutMs = 30_000): Promise<true> {
  return eventually(
    'processing and indexing to finish',
    async () => {
      const [{ open }] = await env.ownerDb.query<{ open: string }>(
        `select count(*) as open from pgboss.job where name in ('email_processing', 'index_activity') and state in ('created', 'retry', 'active')`,
      );
      return Number(open) === 0;
    },
    timeoutMs,
  ) as Promise<true>;
}

/** Vectors Chroma holds for the tenant in both its collections, asked of Chroma's REST API directly (whatever embedder made them). */
export async function chromaCount(chromaUrl: string, tenantId: string): Promise<number> {
  const base = `${new URL(chromaUrl).origin}/api/v2/tenants/default_tenant/databases/default_database/collections`;
  let total = 0;
  for (const name of [ChromaVectorIndex.collectionName(tenantId, 'objects'), ChromaVectorIndex.collectionName(tenantId, 'events')]) {
    const response = await fetch(`${base}/${name}`);
    if (response.status === 404) continue;
    const { id } = (await response.json()) as { id: string };
    total += Number(await (await fetch(`${base}/${id}/count`)).text());
  }
  return total;
}

/** The tenant's search documents, seen by the owner. */
export async function searchDocuments(env: TestEnv, tenantId: string) {
  return env.ownerDb.query<{ doc_type: string; entity_id: string; content: string; content_hash: string; embedded_hash: string | null; embedded_with: string | null; updated_at: Date; embedded_at: Date | null }>(
    'select doc_type, entity_id, content, content_hash, embedded_hash, embedded_with, updated_at, embedded_at from search_documents where tenant_id = ? order by doc_type, entity_id',
    [tenantId],
  );
}

/** A Chroma server of one test's own, which it may stop and start again on the same port and data. */
export interface OwnChroma {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  remove(): Promise<void>;
}

export async function startOwnChroma(): Promise<OwnChroma> {
  const home = mkdtempSync(join(tmpdir(), 'pebble-own-chroma-'));
  const port = await freePort();
  const logger = createLogger('silent');
  let server: ChromaServer = await resolveChroma(undefined, home, port, logger);
  return {
    url: server.url,
    stop: () => server.stop(),
    start: async () => {
      server = await resolveChroma(undefined, home, port, logger);
    },
    remove: async () => {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
