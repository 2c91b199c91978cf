/**
 * `npm run bench:search`: the unified index (US-BKP-007) of one tenant holding 50,000 mixed objects. Measures
 * indexing throughput through the real indexer (`Reindexer`, as `pebble reindex` runs it) with the builtin
 * embedder, and search latency of `GET /api/v1/search/unified` at 10 concurrent clients; in the same run, as
 * baselines, a raw Chroma query of a precomputed vector against the same collection, and the Postgres half
 * of a search alone. Runs on a database and a Chroma server of its own, both removed afterwards.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/app';
import { EmailBatchWriter, type PendingEmail } from '../src/ingestion/email-batch-writer';
import { emailSubmissionSchema, normalizeSubmission } from '../src/ingestion/email-submission';
import { hashMessageId } from '../src/pipeline/message-id';
import { resolveChroma } from '../src/platform/chroma/chroma-server';
import { parseConfig } from '../src/platform/config/config';
import type { AuthContext } from '../src/platform/context/auth-context';
import { Database } from '../src/platform/db/database';
import { appDatabaseUrl, migrate } from '../src/platform/db/migrate';
import { DEFAULT_LOCAL_URL, dropDatabaseOf, freePort, recreateDatabase } from '../src/platform/db/postgres';
import { JobWriter } from '../src/platform/queue/job-writer';
import type { RecordService } from '../src/records/record.service';
import { BuiltinEmbedder } from '../src/search/builtin.embedder';
import { ChromaVectorIndex } from '../src/search/chroma.vector-index';
import { describeEmbedder, type Embedder } from '../src/search/embedder';
import { Reindexer } from '../src/search/reindexer';
import { SearchIndexer } from '../src/search/search-indexer';
import type { SearchType } from '../src/search/search-ref';
import { DEFAULT_SEARCH_TYPES, SearchService, type SearchSettings } from '../src/search/search.service';
import type { VectorHit, VectorIndex, VectorItem } from '../src/search/vector-index';
import { createServices, searchSettings } from '../src/services';
import { TenantService } from '../src/tenancy/tenant.service';
import { combineLoads, percentile, runHttpLoad, type LoadResult } from './http-load';
import { buildCorpus, TENANT_DOMAIN, type SearchCorpus } from './search-corpus';

const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 50_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
/** Rounds the search scenario and its raw-Chroma baseline alternate in, SECONDS / ROUNDS each. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const KEEP = process.env.BENCH_KEEP === '1';
/** Records are written in calls of this many, the most one `POST /api/v1/records/` takes by default. */
const RECORDS_PER_CALL = 1000;
const TARGET_P95_MS = 50;
const TARGET_INDEX_RATE = 500;

// The mix of the tenant: 40 % emails, 15 % cards, 5 % companies, 20 % CRM/ERP records and 20 % activity
// events. The events are the `record.upserted` events RecordService appends, one per record it creates.
const MIX = { emails: 0.4, cards: 0.15, companies: 0.05, records: 0.2 };

async function main(): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  // Request logging stays on at `info`, as in production, written to /dev/null so the output stays readable.
  const logger = pino({ level: 'info', base: { pid: process.pid } }, pino.destination({ dest: '/dev/null', sync: false }));
  const ownerUrl = benchDatabaseUrl();
  await recreateDatabase(ownerUrl);
  await migrate(ownerUrl, undefined, logger);
  const chromaHome = mkdtempSync(join(tmpdir(), 'pebble-bench-chroma-'));
  const chroma = await resolveChroma(undefined, chromaHome, await freePort(), logger);

  const tuning = Object.fromEntries(Object.entries(process.env).filter(([name]) => /^(SEARCH_|CHROMA_TIMEOUT|DB_POOL_SIZE|INGEST_BATCH_CONCURRENCY)/.test(name)));
  const config = parseConfig({ NODE_ENV: 'production', LOG_LEVEL: 'info', JWT_SECRET: 'bench-secret-bench-secret-bench-secret-000', CHROMA_URL: chroma.url, ...tuning });
  const owner = await Database.connect(ownerUrl, 1);
  const tenants = new TenantService(owner);
  const tenant = await tenants.createTenant({ slug: 'brightwater', name: 'Brightwater Supply' });
  const adminEmail = `bench@${TENANT_DOMAIN}`;
  await tenants.createUser(TenantService.operatorAuth(tenant, 'bench'), { email: adminEmail, password: 'bench-password', role: 'admin' });

  // The api's pools as `pebble serve` sizes them: the plain pool (search's transactions) is the ingestion pool.
  const db = await Database.connect(appDatabaseUrl(ownerUrl, undefined, undefined), config.DB_POOL_SIZE, config.INGEST_BATCH_CONCURRENCY);
  const services = createServices(config, config.JWT_SECRET!, db, logger);
  const auth: AuthContext = { tenantId: tenant.id, userId: null, role: 'integration', correlationId: `bench-${randomUUID()}`, sourceSystem: 'api' };

  try {
    // 1. The tenant's objects (not measured).
    const size = { emails: Math.round(OBJECTS * MIX.emails), threads: Math.round(OBJECTS * MIX.cards), companies: Math.round(OBJECTS * MIX.companies), records: Math.round(OBJECTS * MIX.records) };
    const corpus = buildCorpus(size);
    let started = performance.now();
    await createObjects(db, services.records, auth, corpus);
    const counts = await owner.query<{ type: SearchType; n: string }>(
      `select 'email' as type, count(*) as n from emails where tenant_id = ? union all select 'card', count(*) from cards where tenant_id = ?
       union all select 'company', count(*) from companies where tenant_id = ? union all select 'record', count(*) from business_records where tenant_id = ?
       union all select 'activity', count(*) from activity_events where tenant_id = ?`,
      Array(5).fill(tenant.id),
    );
    const objects = counts.reduce((sum, row) => sum + Number(row.n), 0);
    out(`created ${objects} objects in ${((performance.now() - started) / 1000).toFixed(0)} s (not measured): ${counts.map((row) => `${row.type} ${row.n}`).join(', ')}`);

    // 2. Indexing: the real indexer, its embedder and vector index timed from outside.
    const embedder = new TimedEmbedder(new BuiltinEmbedder());
    const vectors = new TimedVectorIndex(new ChromaVectorIndex({ url: chroma.url, embedder: describeEmbedder(embedder.identity), timeoutMs: config.CHROMA_TIMEOUT_MS }));
    const reindexer = new Reindexer(db, new SearchIndexer(db, embedder, vectors, logger), logger);
    started = performance.now();
    const report = await reindexer.run({ tenantIds: [tenant.id] });
    const indexSeconds = (performance.now() - started) / 1000;
    const [{ documents, embedded }] = await owner.query<{ documents: string; embedded: string }>(
      'select count(*) as documents, count(*) filter (where embedded_hash = content_hash) as embedded from search_documents where tenant_id = ?',
      [tenant.id],
    );
    const inChroma = await vectors.count(tenant.id);
    const indexed = Number(documents) === objects && Number(embedded) === objects && inChroma === objects;
    out(`indexed: ${report.objects} objects, ${documents} documents, ${embedded} embedded, ${inChroma} vectors in Chroma${indexed ? '' : ' — INCOMPLETE'}`);
    // What autovacuum does within a minute of a bulk load: search is measured in the steady state, with
    // statistics and without the dead row versions indexing leaves (each document is written, then marked embedded).
    await owner.query('vacuum (analyze) search_documents');

    // 3. Search over HTTP, as a user's browser would call it, and its baseline: Chroma queried directly with the
    // queries' vectors, computed beforehand, 50 neighbours from the collection without the events (what
    // ChromaVectorIndex asks for the default types). The machine's speed drifts within minutes, so the two
    // alternate in ROUNDS rounds, and each round's pair is measured at the same time.
    const api = await buildApp({ config, logger, db, services });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const origin = `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}`;
    const { access } = await services.auth.login({ email: adminEmail, password: 'bench-password' }, 'bench');
    const searches = corpus.queries.map((q) => ({ method: 'GET' as const, path: `/api/v1/search/unified?q=${encodeURIComponent(q)}`, headers: { authorization: `Bearer ${access}` } }));
    const collection = await chromaCollectionId(chroma.url, tenant.id);
    const builtin = new BuiltinEmbedder();
    started = performance.now();
    const queryVectors = builtin.embedNow(corpus.queries);
    const embedQueryMs = (performance.now() - started) / corpus.queries.length;
    const chromaQuery = (n: number, where?: object) =>
      queryVectors.map((vector) => ({
        method: 'POST' as const,
        path: `/api/v2/tenants/default_tenant/databases/default_database/collections/${collection}/query`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query_embeddings: [vector], n_results: n, include: ['distances'], ...(where ? { where } : {}) }),
      }));
    const rawChroma = (n: number, where?: object, seconds = SECONDS, warmup = searches.length) =>
      runHttpLoad({ origin: chroma.url, requests: chromaQuery(n, where), connections: CONNECTIONS, seconds, check: 'chroma', warmup });
    const rounds: { pebble: LoadResult; chroma: LoadResult }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const warmup = round === 0 ? searches.length : 0;
      const pebble = await runHttpLoad({ origin, requests: searches, connections: CONNECTIONS, seconds: SECONDS / ROUNDS, check: 'search', warmup });
      rounds.push({ pebble, chroma: await rawChroma(50, undefined, SECONDS / ROUNDS, warmup) });
    }
    const pebble = combineLoads(rounds.map((round) => round.pebble));
    const chroma50 = combineLoads(rounds.map((round) => round.chroma));

    // 4. For comparison: Chroma's own metadata filter, then the Postgres half of a search alone (the service with
    // a vector half that answers at once).
    const chromaFiltered = await rawChroma(50, { type: { $in: [...DEFAULT_SEARCH_TYPES] } });
    const vectorAlone: { q: string; ms: number }[] = [];
    for (const [index, q] of corpus.queries.entries()) {
      const start = performance.now();
      await vectors.query(tenant.id, queryVectors[index]!, { limit: 50, types: DEFAULT_SEARCH_TYPES });
      vectorAlone.push({ q, ms: performance.now() - start });
    }
    vectorAlone.sort((a, b) => b.ms - a.ms);
    const keywordOnly = await searchInProcess(db, logger, searchSettings(config), auth, corpus.queries);
    await api.close();

    const loads: [string, LoadResult][] = [
      [`Pebble GET /api/v1/search/unified (hybrid, ${corpus.queries.length} queries)`, pebble],
      ['baseline: raw Chroma query of a precomputed vector, 50 neighbours', chroma50],
      ['raw Chroma query, 50 neighbours, metadata filter on the 4 default types (for comparison)', chromaFiltered],
      ['Postgres half alone: SearchService in-process, vector half stubbed (full-text + snippets)', keywordOnly],
    ];
    const rate = objects / indexSeconds;
    const p95 = percentile(pebble.latencies, 0.95);

    out(`\n${objects} objects in one tenant, builtin embedder, ${CONNECTIONS} clients for ${SECONDS} s per scenario, Node ${process.version}\n`);
    out('| indexing (Reindexer, chunks of 500, two in flight) | seconds | objects/s |');
    out('|---|---:|---:|');
    out(`| end to end: documents to Postgres + builtin embedding + Chroma upsert | ${indexSeconds.toFixed(1)} | **${Math.round(rate)}** |`);
    // Two chunks are in flight (one embedded while Chroma stores the other's vectors), so the parts overlap: each
    // is the time some chunk spent in it, and together they add up to more than the whole.
    out(`| busy: builtin embedding (${embedder.texts} texts) | ${embedder.seconds.toFixed(1)} | ${Math.round(embedder.texts / embedder.seconds)} |`);
    out(`| busy: Chroma upsert (${vectors.upserted} vectors) | ${vectors.upsertSeconds.toFixed(1)} | ${Math.round(vectors.upserted / vectors.upsertSeconds)} |`);
    out('');
    out('| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | degraded | no hits |');
    out('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const [name, result] of loads) {
      const ms = (q: number) => percentile(result.latencies, q).toFixed(1);
      out(`| ${name} | ${Math.round(result.latencies.length / result.seconds)} | ${ms(0.5)} | ${ms(0.95)} | ${ms(0.99)} | ${result.errors} | ${result.degraded} | ${result.empty} |`);
    }
    const perRound = rounds.map(({ pebble: ours, chroma: theirs }) => {
      const rate = (result: LoadResult) => result.latencies.length / result.seconds;
      return `${Math.round(rate(ours))} / ${Math.round(rate(theirs))} (${(rate(ours) / rate(theirs)).toFixed(2)})`;
    });
    out(`\nrounds, searches/s against raw Chroma queries/s in the same round: ${perRound.join(', ')}`);
    const slowest = pebble.slowest.map(({ path, ms }) => `${new URLSearchParams(path.slice(path.indexOf('?'))).get('q')} ${Math.round(ms)} ms`);
    out(`slowest searches under load (the longest answer of each): ${slowest.join(', ')}`);
    out(`vector half alone, one query at a time (${DEFAULT_SEARCH_TYPES.join(', ')}): mean ${mean(vectorAlone.map((v) => v.ms)).toFixed(1)} ms; slowest ${vectorAlone.slice(0, 5).map((v) => `${v.q} ${v.ms.toFixed(0)} ms`).join(', ')}`);
    out(`embedding one query with the builtin embedder: ${embedQueryMs.toFixed(2)} ms`);
    out(`target search p95 ≤ ${TARGET_P95_MS} ms: ${p95 <= TARGET_P95_MS ? 'met' : 'MISSED'} (${p95.toFixed(1)} ms)`);
    out(`target indexing ≥ ${TARGET_INDEX_RATE} objects/s: ${rate >= TARGET_INDEX_RATE ? 'met' : 'MISSED'} (${Math.round(rate)} objects/s)`);
    const healthy = indexed && pebble.errors === 0 && pebble.degraded === 0 && pebble.empty === 0;
    out(healthy ? 'consistent: every object indexed in both halves; every search answered, none degraded, none without hits' : 'INCONSISTENT: see the counts above');
    if (!healthy) process.exitCode = 1;
  } finally {
    await services.close();
    await db.close();
    await owner.close();
    await chroma.stop();
    if (KEEP) {
      out(`kept: database ${ownerUrl}, Chroma data ${chromaHome}`);
    } else {
      rmSync(chromaHome, { recursive: true, force: true });
      await dropDatabaseOf(ownerUrl);
    }
  }
}

/** Writes the corpus as Pebble's own writers would: emails through ingestion, cards as the pipeline leaves them, records through RecordService. */
async function createObjects(db: Database, records: RecordService, auth: AuthContext, corpus: SearchCorpus): Promise<void> {
  const companyIds = corpus.companies.map(() => randomUUID());
  await db.transaction(async (client) => {
    await Database.setTenant(client, auth.tenantId);
    await client.query(
      `insert into companies (id, tenant_id, source_system, correlation_id, name, domain, external_id, attributes)
       select x.id, $1, 'salesforce', $2, x.name, x.domain, x.external_id, x.attributes
       from unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::jsonb[]) as x(id, name, domain, external_id, attributes)`,
      [auth.tenantId, auth.correlationId, companyIds, corpus.companies.map((c) => c.name), corpus.companies.map((c) => c.domain), corpus.companies.map((c) => c.externalId), corpus.companies.map((c) => JSON.stringify(c.attributes))],
    );
  });

  // Emails through the ingestion writer (rows, email_processing and index_activity jobs, one commit per 500).
  const schema = emailSubmissionSchema({ subjectMaxChars: 1000, textMaxChars: 200_000 });
  const listener: AuthContext = { ...auth, sourceSystem: 'email-listener' };
  const pending: PendingEmail[] = [];
  const cards: { id: string; title: string; category: string; priority: string; sentiment: number; company: string; email: string; hash: string; count: number }[] = [];
  const carded: { email: string; card: string; hash: string }[] = [];
  corpus.threads.forEach((thread) => {
    const card = randomUUID();
    thread.emails.forEach((input, n) => {
      const id = randomUUID();
      pending.push({ id, auth: listener, email: normalizeSubmission(schema.parse(input), Buffer.from(JSON.stringify(input))), idempotencyKey: null });
      const hash = hashMessageId(input.message_id!);
      carded.push({ email: id, card, hash });
      if (n === 0) cards.push({ id: card, title: input.subject, category: thread.category, priority: thread.priority, sentiment: thread.sentiment, company: companyIds[thread.companyIndex]!, email: id, hash, count: thread.emails.length });
    });
  });
  const writer = new EmailBatchWriter(db, new JobWriter());
  for (let start = 0; start < pending.length; start += 500) await writer.write(pending.slice(start, start + 500));

  // Cards, and the emails' state, as the pipeline's set-wise writer leaves them.
  await db.transaction(async (client) => {
    await Database.setTenant(client, auth.tenantId);
    await client.query(
      `insert into cards (id, tenant_id, source_system, correlation_id, "column", title, category, priority, sentiment, company_id, first_email_id, thread_key, email_count)
       select x.id, $1, 'email-pipeline', $2, (array['inbox', 'triage', 'in_progress', 'waiting', 'done', 'archived'])[1 + abs(hashtext(x.id::text)) % 6],
         x.title, x.category, x.priority, x.sentiment, x.company, x.email, x.hash, x.count
       from unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::uuid[], $9::uuid[], $10::text[], $11::int[])
         as x(id, title, category, priority, sentiment, company, email, hash, count)`,
      [auth.tenantId, auth.correlationId, ...(['id', 'title', 'category', 'priority', 'sentiment', 'company', 'email', 'hash', 'count'] as const).map((key) => cards.map((card) => card[key]))],
    );
    await client.query(
      `update emails e set status = 'carded', card_id = x.card, message_id_hash = x.hash, processing_started_at = e.created_at, finished_at = now(), updated_at = now()
       from unnest($1::uuid[], $2::uuid[], $3::text[]) as x(id, card, hash) where e.id = x.id`,
      [carded.map((row) => row.email), carded.map((row) => row.card), carded.map((row) => row.hash)],
    );
  });

  for (let start = 0; start < corpus.records.length; start += RECORDS_PER_CALL) {
    const { rejected } = await records.upsert({ ...auth, sourceSystem: 'salesforce' }, { records: corpus.records.slice(start, start + RECORDS_PER_CALL) });
    if (rejected.length > 0) throw new Error(`records rejected: ${JSON.stringify(rejected.slice(0, 3))}`);
  }
}

/** The Postgres half of a search measured alone: the real service, whose vector half answers at once with nothing. */
async function searchInProcess(db: Database, logger: pino.Logger, settings: SearchSettings, auth: AuthContext, queries: string[]): Promise<LoadResult> {
  const nothing: VectorIndex = {
    upsert: async () => {},
    delete: async () => {},
    query: async () => [],
    count: async () => 0,
    embedderOf: async () => null,
    embedders: async () => new Map(),
    reset: async () => {},
  };
  const noVector: Embedder = { identity: { provider: 'builtin', model: 'none' }, embed: async (texts) => texts.map(() => [1]) };
  const service = new SearchService(db, noVector, nothing, settings, logger);
  for (const q of queries) await service.search(auth, { q });
  const result: LoadResult = { latencies: [], seconds: SECONDS, errors: 0, degraded: 0, empty: 0, slowest: [] };
  let next = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        try {
          const { hits } = await service.search(auth, { q: queries[next++ % queries.length]! });
          result.latencies.push(performance.now() - sent);
          if (hits.length === 0) result.empty++;
        } catch {
          result.errors++;
        }
      }
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  result.latencies.sort((a, b) => a - b);
  return result;
}

/** Time spent in the embedder, measured around the real one. */
class TimedEmbedder implements Embedder {
  readonly identity;
  seconds = 0;
  texts = 0;

  constructor(private readonly inner: Embedder) {
    this.identity = inner.identity;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const started = performance.now();
    try {
      return await this.inner.embed(texts, signal);
    } finally {
      this.seconds += (performance.now() - started) / 1000;
      this.texts += texts.length;
    }
  }
}

/** Time spent in vector upserts, measured around the real index. */
class TimedVectorIndex implements VectorIndex {
  upsertSeconds = 0;
  upserted = 0;

  constructor(private readonly inner: VectorIndex) {}

  async upsert(tenantId: string, items: VectorItem[]): Promise<void> {
    const started = performance.now();
    try {
      await this.inner.upsert(tenantId, items);
    } finally {
      this.upsertSeconds += (performance.now() - started) / 1000;
      this.upserted += items.length;
    }
  }

  delete(tenantId: string, keys: string[]): Promise<void> {
    return this.inner.delete(tenantId, keys);
  }

  query(tenantId: string, vector: number[], options: { limit: number; types?: readonly SearchType[] }): Promise<VectorHit[]> {
    return this.inner.query(tenantId, vector, options);
  }

  count(tenantId: string): Promise<number> {
    return this.inner.count(tenantId);
  }

  embedderOf(tenantId: string): Promise<string | null> {
    return this.inner.embedderOf(tenantId);
  }

  embedders(): Promise<Map<string, string>> {
    return this.inner.embedders();
  }

  reset(tenantId: string): Promise<void> {
    return this.inner.reset(tenantId);
  }
}

async function chromaCollectionId(chromaUrl: string, tenantId: string): Promise<string> {
  const response = await fetch(`${chromaUrl}/api/v2/tenants/default_tenant/databases/default_database/collections/${ChromaVectorIndex.collectionName(tenantId)}`);
  if (!response.ok) throw new Error(`Chroma has no collection for the tenant: HTTP ${response.status}`);
  return ((await response.json()) as { id: string }).id;
}

/** DATABASE_URL's server (default the local one) with a database of the bench's own, made fresh each run. */
function benchDatabaseUrl(): string {
  const url = new URL(process.env.DATABASE_URL ?? DEFAULT_LOCAL_URL);
  url.pathname = '/pebble_bench_search';
  return url.toString();
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
