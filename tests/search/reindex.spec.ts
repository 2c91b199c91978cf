import { createLogger } from '../../src/platform/logging/logger';
import { Reindexer } from '../../src/search/reindexer';
import { createServices, type Services } from '../../src/services';
import { callerFactory, type Caller } from '../factories';
import { startFakeOllama, type FakeOllama, type OllamaBehaviour } from '../fakes/ollama.fake';
import { emailFactory, ingest } from '../ingestion/factories';
import { postRecords, recordFactory } from '../records/factories';
import { createTestEnv, TEST_JWT_SECRET, type TestEnv } from '../setup/test-env';
import { startTestWorker, type TestWorker } from '../setup/worker';
import { chromaCount, searchDocuments, settled } from './helpers';

const logger = createLogger('silent');

describe(`${Reindexer.name} (pebble reindex) after the embedder changes`, () => {
  let env: TestEnv;
  let worker: TestWorker;
  let caller: Caller;
  let ollama: FakeOllama;
  let switched: Services;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startTestWorker(env);
    caller = await callerFactory(env, 'admin');
    for (const subject of ['Conveyor belt torn', 'Forklift battery swap', 'Pallet wrap supplier']) {
      expect((await ingest(env, caller.access, emailFactory({ subject, body: `${subject}: details inside.` }))).statusCode).toBe(202);
    }
    await settled(env);
    await worker.stop();
    // The same database and Chroma, now configured for Ollama embeddings.
    ollama = await startFakeOllama();
    switched = createServices(
      { ...env.config, EMBEDDER_PROVIDER: 'ollama', OLLAMA_HOST: ollama.url, PEBBLE_EMBED_MODEL: 'nomic-embed-text' },
      TEST_JWT_SECRET,
      env.db,
      logger,
    );
  }, 60_000);

  afterAll(async () => {
    await switched?.close();
    await ollama?.close();
    await env?.close();
  });

  it('is detected: the tenant is reported stale and search answers degraded instead of mixing models', async () => {
    const stale = await switched.indexer.staleTenants();
    expect(stale.get(caller.tenant.id)).toBe('builtin/pebble-hashing-v1');
    expect(switched.indexer.embedderDescription).toBe('ollama/nomic-embed-text');
    const results = await switched.search.search(caller.auth, { q: 'forklift battery' });
    expect(results.degraded).toBe(true);
    expect(results.hits[0]?.title).toBe('Forklift battery swap');
  });

  it('re-embeds everything with the new embedder, reporting progress, without adding vectors', async () => {
    const objects = (await searchDocuments(env, caller.tenant.id)).length;
    const progress: [number, number][] = [];
    const report = await new Reindexer(env.db, switched.indexer, logger).run({ onProgress: (done, total) => progress.push([done, total]) });

    expect(report).toMatchObject({ objects, embedded: objects, removed: 0 });
    expect(progress[0]).toEqual([0, objects]);
    expect(progress.at(-1)).toEqual([objects, objects]);
    const embedRequests = ollama.requests.filter((request) => request.path === '/api/embed');
    expect(embedRequests.length).toBeGreaterThan(0);
    expect(embedRequests.every((request) => request.body.model === 'nomic-embed-text')).toBe(true);

    const documents = await searchDocuments(env, caller.tenant.id);
    expect(documents.every((d) => d.embedded_with === 'ollama/nomic-embed-text' && d.embedded_hash === d.content_hash)).toBe(true);
    expect(await chromaCount(env.config.CHROMA_URL!, caller.tenant.id)).toBe(objects);
    // Chroma is shared by every test file; other files' tenants (builtin vectors) are stale for this configuration.
    expect((await switched.indexer.staleTenants()).has(caller.tenant.id)).toBe(false);
    expect((await switched.search.search(caller.auth, { q: 'forklift battery' })).degraded).toBe(false);
  });

  it('a second run finds nothing to do', async () => {
    const before = ollama.requests.length;
    const report = await new Reindexer(env.db, switched.indexer, logger).run({ tenantIds: [caller.tenant.id] });
    expect(report).toMatchObject({ written: 0, embedded: 0 });
    expect(ollama.requests.length).toBe(before);
  });

  it('indexes a tenant of several chunks; a failed chunk stops the run after the one in flight, and the next run finishes the rest once', async () => {
    const big = await callerFactory(env, 'integration');
    // 1,200 records and their 1,200 `record.upserted` events: five chunks of 500.
    for (let call = 0; call < 2; call++) {
      const records = Array.from({ length: 600 }, (_, n) => recordFactory({ kind: 'order', external_id: `SO-${call}-${n}`, title: `Order ${call}-${n}` }));
      expect((await postRecords(env, big.access, { records })).statusCode).toBe(200);
    }
    const objects = 2_400;
    const reindexer = new Reindexer(env.db, switched.indexer, logger);
    const embedded = async () => (await searchDocuments(env, big.tenant.id)).filter((d) => d.embedded_hash === d.content_hash).length;

    // The 13th embedding request fails (a chunk makes 8); every other one answers.
    const answer: OllamaBehaviour = { answer: null };
    ollama.respondWith(answer, ...Array<OllamaBehaviour>(11).fill(answer), { status: 500, error: 'model runner crashed' }, answer);
    const progress: number[] = [];
    await expect(reindexer.run({ tenantIds: [big.tenant.id], onProgress: (done) => progress.push(done) })).rejects.toThrow(/model runner crashed/);
    // Nothing is left running behind the error, and no chunk started after it.
    const requests = ollama.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ollama.requests.length).toBe(requests);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const partial = await embedded();
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(objects);

    const report = await reindexer.run({ tenantIds: [big.tenant.id] });
    expect(report).toMatchObject({ objects, embedded: objects - partial });
    expect(await embedded()).toBe(objects);
    expect(await chromaCount(env.config.CHROMA_URL!, big.tenant.id)).toBe(objects);
  }, 120_000);
});
