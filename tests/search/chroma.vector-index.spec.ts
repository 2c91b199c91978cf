import { randomUUID } from 'node:crypto';
import { ChromaVectorIndex } from '../../src/search/chroma.vector-index';
import type { VectorItem } from '../../src/search/vector-index';

/** A unit vector at `angle` radians from the query vector [1, 0, 0, 0]. */
const at = (angle: number) => [Math.cos(angle), Math.sin(angle), 0, 0];

describe(ChromaVectorIndex.name, () => {
  const index = new ChromaVectorIndex({ url: process.env.PEBBLE_TEST_CHROMA_URL!, embedder: 'test/4-dims', timeoutMs: 10_000 });
  const tenants: string[] = [];

  afterAll(async () => {
    await Promise.all(tenants.map((tenantId) => index.reset(tenantId)));
  });

  /** A tenant whose `activities` nearest vectors are events, followed by 10 emails, nearest first. */
  async function tenantWithEventsFirst(activities: number): Promise<{ tenantId: string; emails: string[] }> {
    const tenantId = randomUUID();
    tenants.push(tenantId);
    const events: VectorItem[] = Array.from({ length: activities }, (_, n) => ({ key: `activity:${randomUUID()}`, type: 'activity', vector: at(0.001 * (n + 1)) }));
    const emails: VectorItem[] = Array.from({ length: 10 }, (_, n) => ({ key: `email:${randomUUID()}`, type: 'email', vector: at(0.5 + 0.1 * n) }));
    await index.upsert(tenantId, [...events, ...emails]);
    return { tenantId, emails: emails.map((item) => item.key) };
  }

  // 5 events fit in the first round (4× the neighbours), 30 need the second (20×), 100 need Chroma's filter.
  it.each([5, 30, 100])('answers the nearest vectors of the types asked for when %i events are nearer', async (activities) => {
    const { tenantId, emails } = await tenantWithEventsFirst(activities);
    const hits = await index.query(tenantId, at(0), { limit: 2, types: ['email', 'card'] });
    expect(hits.map((hit) => hit.key)).toEqual(emails.slice(0, 2));
    expect(hits[0]!.distance).toBeLessThan(hits[1]!.distance);
  });

  it('answers the nearest vectors of any type when no types are asked for', async () => {
    const { tenantId } = await tenantWithEventsFirst(5);
    const hits = await index.query(tenantId, at(0), { limit: 3 });
    expect(hits.map((hit) => hit.key.split(':')[0])).toEqual(['activity', 'activity', 'activity']);
  });

  it('answers every vector of the types asked for when the collection holds fewer than the limit', async () => {
    const { tenantId, emails } = await tenantWithEventsFirst(100);
    const hits = await index.query(tenantId, at(0), { limit: 50, types: ['email'] });
    expect(hits.map((hit) => hit.key)).toEqual(emails);
  });

  it('answers nothing for a tenant without a collection', async () => {
    expect(await index.query(randomUUID(), at(0), { limit: 5, types: ['email'] })).toEqual([]);
  });
});
