import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChromaVectorIndex } from '../../src/search/chroma.vector-index';
import type { SearchType } from '../../src/search/search-ref';
import { VectorIndexUnavailableError, type VectorItem } from '../../src/search/vector-index';
import { chromaCount, startOwnChroma } from './helpers';

/** A unit vector at `angle` radians from the query vector [1, 0, 0, 0]. */
const at = (angle: number) => [Math.cos(angle), Math.sin(angle), 0, 0];
const items = (type: SearchType, count: number, angle: (n: number) => number): VectorItem[] =>
  Array.from({ length: count }, (_, n) => ({ key: `${type}:${randomUUID()}`, type, vector: at(angle(n)) }));
const keys = (hits: { key: string }[]) => hits.map((hit) => hit.key);

describe(ChromaVectorIndex.name, () => {
  const url = process.env.PEBBLE_TEST_CHROMA_URL!;
  const index = new ChromaVectorIndex({ url, embedder: 'test/4-dims', timeoutMs: 10_000 });
  const tenants: string[] = [];

  afterAll(async () => {
    await Promise.all(tenants.map((tenantId) => index.reset(tenantId)));
  });

  /** A tenant whose `nearer` nearest vectors are records and events, each, followed by 10 emails, nearest first. */
  async function crowdedTenant(nearer: number): Promise<{ tenantId: string; emails: string[]; records: string[]; events: string[] }> {
    const tenantId = randomUUID();
    tenants.push(tenantId);
    const records = items('record', nearer, (n) => 0.001 * (n + 1));
    const events = items('activity', nearer, (n) => 0.0005 + 0.001 * n);
    const emails = items('email', 10, (n) => 0.5 + 0.1 * n);
    await index.upsert(tenantId, [...records, ...events, ...emails]);
    return { tenantId, emails: keys(emails), records: keys(records), events: keys(events) };
  }

  // 5 records fit in the first round (4× the neighbours), 30 need the second (20×), 100 need Chroma's filter.
  it.each([5, 30, 100])('answers the nearest vectors of the types asked for when %i others are nearer', async (nearer) => {
    const { tenantId, emails } = await crowdedTenant(nearer);
    const hits = await index.query(tenantId, at(0), { limit: 2, types: ['email', 'card'] });
    expect(keys(hits)).toEqual(emails.slice(0, 2));
    expect(hits[0]!.distance).toBeLessThan(hits[1]!.distance);
  });

  it('keeps events in a collection of their own: left out unless asked for, merged by distance when they are', async () => {
    const { tenantId, emails, records, events } = await crowdedTenant(5);
    expect(keys(await index.query(tenantId, at(0), { limit: 3, types: ['email', 'card', 'company', 'record'] }))).toEqual(records.slice(0, 3));
    expect(keys(await index.query(tenantId, at(0), { limit: 2, types: ['activity'] }))).toEqual(events.slice(0, 2));
    // Every type: events (0.0005, 0.0015, …) and records (0.001, 0.002, …) interleave.
    expect(keys(await index.query(tenantId, at(0), { limit: 4 }))).toEqual([events[0], records[0], events[1], records[1]]);
    expect(keys(await index.query(tenantId, at(0), { limit: 1, types: ['email', 'activity'] }))).toEqual([events[0]]);
    expect(await index.count(tenantId)).toBe(20);
    expect(await chromaCount(url, tenantId)).toBe(20);
    expect(emails).toHaveLength(10);

    await index.delete(tenantId, [events[0]!, records[0]!]);
    expect(keys(await index.query(tenantId, at(0), { limit: 2 }))).toEqual([events[1], records[1]]);
    expect(await index.count(tenantId)).toBe(18);
  });

  it('answers every vector of the types asked for when the collection holds fewer than the limit', async () => {
    const { tenantId, emails } = await crowdedTenant(100);
    expect(keys(await index.query(tenantId, at(0), { limit: 50, types: ['email'] }))).toEqual(emails);
  });

  it('reports the embedder of either collection that differs from the configured one, and resets both', async () => {
    const { tenantId } = await crowdedTenant(5);
    const other = new ChromaVectorIndex({ url, embedder: 'test/other', timeoutMs: 10_000 });
    await other.reset(tenantId);
    await index.upsert(tenantId, items('record', 1, () => 0.1));
    await other.upsert(tenantId, items('activity', 1, () => 0.1));
    expect(await index.embedderOf(tenantId)).toBe('test/other');
    expect((await index.embedders()).get(tenantId)).toBe('test/other');
    await index.reset(tenantId);
    expect(await index.count(tenantId)).toBe(0);
    expect(await index.embedderOf(tenantId)).toBeNull();
  });

  it('answers concurrent queries of several tenants, each from its own collection and for its own vector', async () => {
    // Queries beyond the 2 in flight per collection wait and go to Chroma together: the answers must not mix.
    const spaces = await Promise.all(
      [0.2, 0.9].map(async (base) => {
        const tenantId = randomUUID();
        tenants.push(tenantId);
        const records = items('record', 12, (n) => base + 0.05 * n);
        await index.upsert(tenantId, records);
        return { tenantId, records: keys(records) };
      }),
    );
    const asked = Array.from({ length: 40 }, (_, n) => ({ space: spaces[n % 2]!, nearest: (n >> 1) % 12, limit: 1 + (n % 3) }));
    const answers = await Promise.all(
      asked.map(({ space, nearest }, n) => index.query(space.tenantId, at((n % 2 === 0 ? 0.2 : 0.9) + 0.05 * nearest), { limit: asked[n]!.limit, types: ['record'] })),
    );
    answers.forEach((hits, n) => {
      const { space, nearest, limit } = asked[n]!;
      expect(keys(hits)[0]).toBe(space.records[nearest]);
      expect(hits).toHaveLength(limit);
      expect(keys(hits).every((key) => space.records.includes(key))).toBe(true);
    });
  });

  it('answers nothing for a tenant without a collection', async () => {
    expect(await index.query(randomUUID(), at(0), { limit: 5, types: ['email'] })).toEqual([]);
  });

  it('looks a collection up again when another process dropped and made it again since it was opened', async () => {
    const { tenantId } = await crowdedTenant(5);
    expect(await index.query(tenantId, at(0), { limit: 1, types: ['record'] })).toHaveLength(1);
    const other = new ChromaVectorIndex({ url, embedder: 'test/4-dims', timeoutMs: 10_000 });
    await other.reset(tenantId);
    const fresh = items('record', 1, () => 0.3);
    await other.upsert(tenantId, fresh);
    expect(keys(await index.query(tenantId, at(0), { limit: 5, types: ['record'] }))).toEqual(keys(fresh));
  });

  describe('when Chroma fails under a query', () => {
    /** Passes everything to Chroma except queries, which it answers as `mode` says. */
    let mode: 'pass' | 'hang' | 'fail' = 'pass';
    let proxy: Server;
    let proxied: ChromaVectorIndex;
    const tenantId = randomUUID();

    beforeAll(async () => {
      const target = new URL(url);
      proxy = createServer((incoming, outgoing) => {
        if (incoming.url!.endsWith('/query') && mode !== 'pass') {
          if (mode === 'fail') outgoing.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"InternalError","message":"segment unavailable"}');
          return;
        }
        const forward = request({ host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers }, (answer) => {
          outgoing.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(outgoing);
        });
        incoming.pipe(forward);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxied = new ChromaVectorIndex({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, embedder: 'test/4-dims', timeoutMs: 1_000 });
      tenants.push(tenantId);
      await proxied.upsert(tenantId, items('record', 3, (n) => 0.1 * n));
    });
    afterAll(async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    });
    afterEach(() => {
      mode = 'pass';
    });

    it('gives up on a query Chroma does not answer within the timeout, and the next one answers', async () => {
      mode = 'hang';
      const started = performance.now();
      await expect(proxied.query(tenantId, at(0), { limit: 2 })).rejects.toThrow(VectorIndexUnavailableError);
      expect(performance.now() - started).toBeLessThan(3_000);
      mode = 'pass';
      expect(await proxied.query(tenantId, at(0), { limit: 2 })).toHaveLength(2);
    });

    it('reports a server error as the index being unavailable, with Chroma\'s message', async () => {
      mode = 'fail';
      await expect(proxied.query(tenantId, at(0), { limit: 2 })).rejects.toThrow(/segment unavailable/);
      await expect(proxied.query(tenantId, at(0), { limit: 2 })).rejects.toThrow(VectorIndexUnavailableError);
    });
  });

  it('reports Chroma stopped under its open collections as unavailable, and answers again once it is back', async () => {
    const own = await startOwnChroma();
    try {
      const ownIndex = new ChromaVectorIndex({ url: own.url, embedder: 'test/4-dims', timeoutMs: 5_000 });
      const tenantId = randomUUID();
      await ownIndex.upsert(tenantId, items('record', 3, (n) => 0.1 * n));
      expect(await ownIndex.query(tenantId, at(0), { limit: 3 })).toHaveLength(3);
      await own.stop();
      await expect(ownIndex.query(tenantId, at(0), { limit: 3 })).rejects.toThrow(VectorIndexUnavailableError);
      await own.start();
      expect(await ownIndex.query(tenantId, at(0), { limit: 3 })).toHaveLength(3);
    } finally {
      await own.remove();
    }
  }, 60_000);
});
