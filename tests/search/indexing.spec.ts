import { createLogger } from '../../src/platform/logging/logger';
import { Reindexer } from '../../src/search/reindexer';
import { SearchIndexer } from '../../src/search/search-indexer';
import { callerFactory, type Caller } from '../factories';
import { emailFactory, ingest } from '../ingestion/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually, startTestWorker, type TestWorker } from '../setup/worker';
import { chromaCount, searchDocuments, searchRest, settled, startOwnChroma, type OwnChroma, type RestResults } from './helpers';

const logger = createLogger('silent');

/** Rows of the tenant that the index must hold, one document each. */
async function indexableCount(env: TestEnv, tenantId: string): Promise<number> {
  const [{ count }] = await env.ownerDb.query<{ count: string }>(
    `select (select count(*) from emails where tenant_id = ?) + (select count(*) from cards where tenant_id = ?)
          + (select count(*) from companies where tenant_id = ?) + (select count(*) from activity_events where tenant_id = ?) as count`,
    [tenantId, tenantId, tenantId, tenantId],
  );
  return Number(count);
}

async function ingestMany(env: TestEnv, caller: Caller, count: number, subject = 'Pump housing cracked'): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const response = await ingest(env, caller.access, emailFactory({ subject: `${subject} #${index}`, body: `Unit ${index} of the pump order arrived cracked.` }));
    expect(response.statusCode).toBe(202);
    ids.push(response.json<{ tracking_id: string }>().tracking_id);
  }
  return ids;
}

describe(SearchIndexer.name, () => {
  describe('on a running Chroma', () => {
    let env: TestEnv;
    let worker: TestWorker;
    let caller: Caller;

    beforeAll(async () => {
      env = await createTestEnv();
      worker = await startTestWorker(env);
      caller = await callerFactory(env, 'admin');
      const [first] = await ingestMany(env, caller, 5);
      // A reply threads onto the first card: the card changes (one more email) and is indexed again.
      const original = await env.ownerDb.query<{ message_id: string }>('select message_id from emails where id = ?', [first]);
      await ingest(env, caller.access, emailFactory({ subject: 'Re: Pump housing cracked #0', in_reply_to: original[0]!.message_id }));
      await env.services.companies.create(caller.auth, { name: 'Harbor Pumps', domain: 'harbor-pumps.example' });
      await settled(env);
    }, 60_000);

    afterAll(async () => {
      await worker?.stop();
      await env?.close();
    });

    it('indexes every email, card, company and event once, in Postgres and in Chroma', async () => {
      const expected = await indexableCount(env, caller.tenant.id);
      const documents = await searchDocuments(env, caller.tenant.id);
      expect(documents).toHaveLength(expected);
      expect(new Set(documents.map((d) => d.doc_type))).toEqual(new Set(['email', 'card', 'company', 'activity']));
      expect(documents.filter((d) => d.embedded_hash !== d.content_hash)).toEqual([]);
      expect(await chromaCount(env.config.CHROMA_URL!, caller.tenant.id)).toBe(expected);
    });

    it('re-running the indexer over everything changes nothing', async () => {
      const before = await searchDocuments(env, caller.tenant.id);
      const report = await new Reindexer(env.db, env.services.indexer, logger).run({ tenantIds: [caller.tenant.id] });
      expect(report).toMatchObject({ tenants: 1, objects: before.length, written: 0, embedded: 0, removed: 0 });
      expect(await searchDocuments(env, caller.tenant.id)).toEqual(before);
      expect(await chromaCount(env.config.CHROMA_URL!, caller.tenant.id)).toBe(before.length);
    });

    it('re-embeds only what changed: a moved card gets its new column', async () => {
      const [card] = await env.ownerDb.query<{ id: string }>('select id from cards where tenant_id = ? limit 1', [caller.tenant.id]);
      await env.services.cards.move(caller.auth, card!.id, 'waiting');
      await settled(env);
      const documents = await searchDocuments(env, caller.tenant.id);
      const cardDocument = documents.find((d) => d.entity_id === card!.id)!;
      expect(cardDocument.content).toContain('Column: waiting');
      expect(cardDocument.embedded_hash).toBe(cardDocument.content_hash);
      expect(documents.some((d) => d.doc_type === 'activity' && d.content.includes('card.moved'))).toBe(true);
      expect(await chromaCount(env.config.CHROMA_URL!, caller.tenant.id)).toBe(await indexableCount(env, caller.tenant.id));
    });

    it('a forced reindex re-embeds everything without adding a vector', async () => {
      const progress: [number, number][] = [];
      const report = await new Reindexer(env.db, env.services.indexer, logger).run({ tenantIds: [caller.tenant.id], force: true, onProgress: (done, total) => progress.push([done, total]) });
      const expected = await indexableCount(env, caller.tenant.id);
      expect(report).toMatchObject({ objects: expected, embedded: expected, written: 0 });
      expect(progress.at(-1)).toEqual([expected, expected]);
      expect(await chromaCount(env.config.CHROMA_URL!, caller.tenant.id)).toBe(expected);
    });
  });

  describe('when Chroma stops and comes back', () => {
    let chroma: OwnChroma;
    let env: TestEnv;
    let worker: TestWorker;
    let caller: Caller;

    beforeAll(async () => {
      chroma = await startOwnChroma();
      env = await createTestEnv({ CHROMA_URL: chroma.url, CHROMA_TIMEOUT_MS: '2000' });
      // Queue policies live in pg-boss (created by the migration): first retry after 1 s instead of 5.
      await env.ownerDb.query(`update pgboss.queue set retry_delay = 1 where name = 'index_activity'`);
      worker = await startTestWorker(env);
      caller = await callerFactory(env, 'admin');
    }, 60_000);

    afterAll(async () => {
      await worker?.stop();
      await env?.close();
      await chroma?.remove();
    });

    it('retries indexing with backoff and then holds every object exactly once', async () => {
      await ingestMany(env, caller, 3, 'Before the outage');
      await settled(env);
      await chroma.stop();

      await ingestMany(env, caller, 20, 'During the outage');
      await eventually('indexing attempts to fail and wait for a retry', async () => {
        const [{ retrying }] = await env.ownerDb.query<{ retrying: string }>(`select count(*) as retrying from pgboss.job where name = 'index_activity' and state = 'retry'`);
        return Number(retrying) > 0;
      });
      // Keyword search already has what is waiting for its vectors; the answer says it is degraded.
      const during = (await searchRest(env, caller.access, { q: 'During the outage #7' })).json<RestResults>();
      expect(during.degraded).toBe(true);
      expect(during.hits.length).toBeGreaterThan(0);

      await chroma.start();
      await settled(env, 60_000);

      const expected = await indexableCount(env, caller.tenant.id);
      const documents = await searchDocuments(env, caller.tenant.id);
      expect(documents).toHaveLength(expected);
      expect(documents.filter((d) => d.embedded_hash !== d.content_hash)).toEqual([]);
      expect(await chromaCount(chroma.url, caller.tenant.id)).toBe(expected);
      const [{ dead }] = await env.ownerDb.query<{ dead: string }>('select count(*) as dead from sync_errors');
      expect(Number(dead)).toBe(0);
      const after = (await searchRest(env, caller.access, { q: 'During the outage #7' })).json<RestResults>();
      expect(after.degraded).toBe(false);
    }, 120_000);
  });

  describe('when indexing fails every attempt', () => {
    let chroma: OwnChroma;
    let env: TestEnv;
    let worker: TestWorker;
    let caller: Caller;

    beforeAll(async () => {
      chroma = await startOwnChroma();
      env = await createTestEnv({ CHROMA_URL: chroma.url, CHROMA_TIMEOUT_MS: '2000' });
      // One retry after 1 s, then the dead-letter queue.
      await env.ownerDb.query(`update pgboss.queue set retry_limit = 1, retry_delay = 1 where name = 'index_activity'`);
      worker = await startTestWorker(env);
      caller = await callerFactory(env, 'admin');
      await chroma.stop();
    }, 60_000);

    afterAll(async () => {
      await worker?.stop();
      await env?.close();
      await chroma?.remove();
    });

    it('dead-letters to index_dlq as a SyncError that Replay indexes once Chroma is back', async () => {
      const [emailId] = await ingestMany(env, caller, 1, 'Lost in the outage');
      const syncError = await eventually('the indexing job to be dead-lettered', async () => {
        const rows = await env.ownerDb.query<{ id: string; queue: string; source_system: string; traceback: string; payload: { refs: string[] } }>(
          `select id, queue, source_system, traceback, payload from sync_errors where queue = 'index_activity' and payload->'refs' @> ?::jsonb`,
          [JSON.stringify([`email:${emailId}`])],
        );
        return rows[0];
      }, 30_000);
      expect(syncError).toMatchObject({ queue: 'index_activity', source_system: 'search-indexer' });
      expect(syncError.traceback).toMatch(/Chroma/);
      // The indexer's own failures are not indexed: that would only fail again while the index is down.
      const events = await env.ownerDb.query<{ id: string }>(`select id from activity_events where kind = 'sync.failed' and entity_id = ?`, [syncError.id]);
      const documents = await searchDocuments(env, caller.tenant.id);
      expect(documents.filter((d) => d.entity_id === events[0]!.id)).toEqual([]);

      await chroma.start();
      await env.services.deadLetters.replay(caller.auth, syncError.id);
      await settled(env, 30_000);
      const email = (await searchDocuments(env, caller.tenant.id)).find((d) => d.entity_id === emailId)!;
      expect(email.embedded_hash).toBe(email.content_hash);
      const hits = (await searchRest(env, caller.access, { q: 'Lost in the outage', types: 'email' })).json<RestResults>();
      expect(hits).toMatchObject({ degraded: false, hits: [{ id: emailId }] });
    }, 90_000);
  });
});
