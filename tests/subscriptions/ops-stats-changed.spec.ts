import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { notifyQueueChanged } from '../../src/ops/ops.notifications';
import { Database } from '../../src/platform/db/database';
import { topics } from '../../src/platform/graphql/topics';
import { CLOSE_FORBIDDEN } from '../../src/platform/graphql/websocket';
import { createServices, type Services } from '../../src/services';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, TEST_JWT_SECRET, type TestEnv } from '../setup/test-env';
import { eventually } from '../setup/worker';
import { listenUrl, openSocket, OPS_STATS_CHANGED, record, sleep, subscribed, type Recording, type Result } from './live';

/** One job that failed every attempt, as the `email_dlq` handler records it. */
function deadLetter(services: Services, tenantId: string): Promise<void> {
  return services.deadLetters.record({
    queue: 'email_processing',
    data: { tenantId, correlationId: `test-${randomUUID()}` },
    output: { message: 'classifier unavailable', stack: 'ClassifierError: classifier unavailable', jobId: randomUUID(), attempt: 4 },
  });
}

const dlqCount = (message: Result) => (message.data?.opsStatsChanged as { dlqCount: number } | undefined)?.dlqCount;

describe('subscription opsStatsChanged', () => {
  let env: TestEnv;
  let url: string;
  const clients: Client[] = [];

  /** An admin of a fresh tenant, subscribed to opsStatsChanged over a real socket. */
  async function subscriber(role: 'admin' | 'member' = 'admin', testEnv = env, testUrl = url): Promise<{ caller: Caller; live: Recording; client: Client }> {
    const caller = await callerFactory(testEnv, role);
    const { client } = openSocket(testUrl, caller.access);
    clients.push(client);
    const live = record(client, OPS_STATS_CHANGED);
    if (role === 'admin') await subscribed(testEnv, topics.opsStats(caller.tenant.id));
    return { caller, live, client };
  }

  beforeAll(async () => {
    env = await createTestEnv();
    url = await listenUrl(env);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(() => env.close());

  it("pushes a tenant's new dead-letter count to its subscribers, and nothing to another tenant's", async () => {
    const a = await subscriber();
    const b = await subscriber();

    await deadLetter(env.services, a.caller.tenant.id);

    const message = await a.live.waitFor('dlqCount 1', (m) => dlqCount(m) === 1);
    expect(message).toEqual({ data: { opsStatsChanged: { dlqCount: 1, queued: 0, active: 0, failedLastHour: 1 } } });
    await sleep(600);
    expect(b.live.messages).toEqual([]);
    expect(a.live.messages).toHaveLength(1);
  });

  it('delivers a change committed by another process, and a NOTIFY sent from any connection', async () => {
    const a = await subscriber();
    // Another worker process: its own services and connection pool on the same database.
    const otherDb = await Database.connect(env.appUrl, 2, 2);
    const other = createServices(env.config, TEST_JWT_SECRET, otherDb);
    try {
      await deadLetter(other, a.caller.tenant.id);
      await deadLetter(other, a.caller.tenant.id);
    } finally {
      await other.close();
      await otherDb.close();
    }
    await a.live.waitFor('dlqCount 2', (m) => dlqCount(m) === 2);

    // The owner resolves them behind Pebble's back and announces it by hand: the figures come from the
    // database, not from the payload, which claims 999.
    await env.ownerDb.query('update sync_errors set resolved_at = now() where tenant_id = ?', [a.caller.tenant.id]);
    await env.ownerDb.query(`select pg_notify('pebble_ops', ?)`, [JSON.stringify({ topic: 'dlq', tenantId: a.caller.tenant.id, dlqCount: 999 })]);

    const resolved = await a.live.waitFor('dlqCount 0', (m) => dlqCount(m) === 0);
    expect(resolved.data?.opsStatsChanged).toMatchObject({ dlqCount: 0, failedLastHour: 2 });
  });

  it('sends a burst of 200 dead letters as a handful of updates, the last with the final count', async () => {
    const a = await subscriber();
    const started = Date.now();

    await Promise.all(Array.from({ length: 200 }, () => deadLetter(env.services, a.caller.tenant.id)));
    const burstMs = Date.now() - started;
    await a.live.waitFor('dlqCount 200', (m) => dlqCount(m) === 200);
    await sleep(700);

    const counts = a.live.messages.map(dlqCount);
    // One at the first dead letter, then at most one per 250 ms while the burst lasts, and one trailing.
    expect(counts.length).toBeLessThanOrEqual(Math.ceil(burstMs / 250) + 2);
    expect(counts.length).toBeLessThan(10);
    expect(counts.at(-1)).toBe(200);
    expect([...counts].sort((x, y) => x! - y!)).toEqual(counts);
  });

  it('delivers nothing for a transaction that rolled back, and the same notification once committed', async () => {
    const a = await subscriber();
    const tenantId = a.caller.tenant.id;

    await expect(
      env.db.transaction(async (client) => {
        await notifyQueueChanged(client, [tenantId]);
        await client.query(`select pg_notify('pebble_ops', $1)`, [JSON.stringify({ topic: 'dlq', tenantId, dlqCount: 1 })]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    // Would have been published: the figures differ from what the subscriber holds (nothing yet).
    await sleep(800);
    expect(a.live.messages).toEqual([]);

    await env.db.transaction((client) => notifyQueueChanged(client, [tenantId]));
    await expect(a.live.waitFor('the committed notification', () => true)).resolves.toEqual({
      data: { opsStatsChanged: { dlqCount: 0, queued: 0, active: 0, failedLastHour: 0 } },
    });
  });

  it('refuses a member like the opsStats query, and holds no subscriber for it', async () => {
    const { caller, live } = await subscriber('member');

    const refused = await live.waitFor('an error', (m) => Boolean(m.errors));
    await live.ended;

    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.data ?? null).toBeNull();
    expect(env.api.live.pubSub.hasSubscribers(topics.opsStats(caller.tenant.id))).toBe(false);
  });

  it('releases the subscriber when the client unsubscribes', async () => {
    const { caller, live } = await subscriber();

    live.stop();

    await eventually('the subscriber to go', async () => !env.api.live.pubSub.hasSubscribers(topics.opsStats(caller.tenant.id)), 5000);
  });

  describe('when the access token expires', () => {
    let shortLived: TestEnv;
    let shortUrl: string;

    beforeAll(async () => {
      shortLived = await createTestEnv({ JWT_ACCESS_TTL_SECONDS: '2' });
      shortUrl = await listenUrl(shortLived);
    });
    afterAll(() => shortLived.close());

    it(`closes the socket of an active subscription with ${CLOSE_FORBIDDEN} and drops its subscriber`, async () => {
      const caller = await callerFactory(shortLived, 'admin');
      const { client, closed } = openSocket(shortUrl, caller.access);
      clients.push(client);
      const live = record(client, OPS_STATS_CHANGED);
      await subscribed(shortLived, topics.opsStats(caller.tenant.id));

      await expect(closed).resolves.toMatchObject({ code: CLOSE_FORBIDDEN });
      await live.ended;
      await eventually('the subscriber to go', async () => !shortLived.api.live.pubSub.hasSubscribers(topics.opsStats(caller.tenant.id)), 5000);
      await deadLetter(shortLived.services, caller.tenant.id);
      await sleep(400);
      expect(live.messages).toEqual([]);
    });
  });
});
