import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { notifyQueueChanged } from '../../src/ops/ops.notifications';
import { topics } from '../../src/platform/graphql/topics';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually } from '../setup/worker';
import { listenUrl, openSocket, OPS_STATS_CHANGED, record, sleep, subscribed, type Recording, type Result } from './live';

const failedLastHour = (message: Result) => (message.data?.opsStatsChanged as { failedLastHour: number } | undefined)?.failedLastHour;

describe('subscription opsStatsChanged as failures leave the last hour', () => {
  let env: TestEnv;
  let url: string;
  const clients: Client[] = [];

  /** One job that failed every attempt, as the `email_dlq` handler records it. */
  function deadLetter(tenantId: string, testEnv = env): Promise<void> {
    return testEnv.services.deadLetters.record({
      queue: 'email_processing',
      data: { tenantId, correlationId: `test-${randomUUID()}` },
      output: { message: 'classifier unavailable', stack: 'ClassifierError: classifier unavailable', jobId: randomUUID(), attempt: 4 },
    });
  }

  /** Dates the tenant's failures `seconds` back by Postgres's clock, then announces a change as a writer's commit would. */
  async function age(tenantId: string, seconds: number, testEnv = env): Promise<void> {
    await testEnv.ownerDb.query(`update sync_errors set last_failed_at = now() - ? * interval '1 second' where tenant_id = ?`, [seconds, tenantId]);
    await testEnv.db.transaction((client) => notifyQueueChanged(client, [tenantId]));
  }

  /** When the tenant's oldest failure turns an hour old, rounded up to the millisecond as the feed keeps it. */
  async function oldestLeavesAt(tenantId: string): Promise<Date> {
    const [row] = await env.ownerDb.query<{ ms: string }>(
      `select ceil(extract(epoch from min(last_failed_at) + interval '1 hour') * 1000) as ms from sync_errors where tenant_id = ?`,
      [tenantId],
    );
    return new Date(Number(row.ms));
  }

  /** The caller's tenant's figures over a real socket, once this api process holds the subscriber. */
  async function subscribe(caller: Caller, testEnv = env, testUrl = url): Promise<Recording> {
    const { client } = openSocket(testUrl, caller.access);
    clients.push(client);
    const live = record(client, OPS_STATS_CHANGED);
    await subscribed(testEnv, topics.opsStats(caller.tenant.id));
    return live;
  }

  beforeAll(async () => {
    env = await createTestEnv();
    url = await listenUrl(env);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(() => env.close());

  it("pushes failedLastHour 0 with no event once the tenant's one failure turns an hour old, and nothing to another tenant", async () => {
    const a = await callerFactory(env);
    const b = await callerFactory(env);
    await deadLetter(a.tenant.id);
    await deadLetter(b.tenant.id);
    const aLive = await subscribe(a);
    const bLive = await subscribe(b);

    await age(a.tenant.id, 59 * 60 + 58);
    await env.db.transaction((client) => notifyQueueChanged(client, [b.tenant.id]));
    await aLive.waitFor('failedLastHour 1', (m) => failedLastHour(m) === 1);
    await bLive.waitFor('failedLastHour 1', (m) => failedLastHour(m) === 1);
    expect(env.api.live.failedLastHourDropsAt(a.tenant.id)).toEqual(await oldestLeavesAt(a.tenant.id));

    await aLive.waitFor('failedLastHour 0', (m) => failedLastHour(m) === 0, 5000);
    await sleep(600);

    expect(aLive.messages).toEqual([
      { data: { opsStatsChanged: { dlqCount: 1, queued: 0, active: 0, failedLastHour: 1 } } },
      { data: { opsStatsChanged: { dlqCount: 1, queued: 0, active: 0, failedLastHour: 0 } } },
    ]);
    expect(env.api.live.failedLastHourDropsAt(a.tenant.id)).toBeNull();
    // B's failure is fresh: its own timer waits an hour, and A's never reached it.
    expect(bLive.messages).toEqual([{ data: { opsStatsChanged: { dlqCount: 1, queued: 0, active: 0, failedLastHour: 1 } } }]);
    expect(env.api.live.failedLastHourDropsAt(b.tenant.id)).toEqual(await oldestLeavesAt(b.tenant.id));
  });

  it('moves the timer when a read finds another oldest failure, though the figures it pushes are the same', async () => {
    const a = await callerFactory(env);
    await deadLetter(a.tenant.id);
    const live = await subscribe(a);
    await age(a.tenant.id, 30 * 60);
    await live.waitFor('failedLastHour 1', (m) => failedLastHour(m) === 1);
    const inHalfAnHour = await oldestLeavesAt(a.tenant.id);
    expect(env.api.live.failedLastHourDropsAt(a.tenant.id)).toEqual(inHalfAnHour);

    await age(a.tenant.id, 59 * 60 + 58);

    const inTwoSeconds = await oldestLeavesAt(a.tenant.id);
    await eventually('the timer to move', async () => env.api.live.failedLastHourDropsAt(a.tenant.id)?.getTime() === inTwoSeconds.getTime(), 5000);
    await live.waitFor('failedLastHour 0', (m) => failedLastHour(m) === 0, 5000);
    expect(live.messages.map(failedLastHour)).toEqual([1, 0]);
  });

  it('schedules nothing for a tenant without subscribers here, and drops the timer with its last subscriber', async () => {
    const quiet = await callerFactory(env);
    const watched = await callerFactory(env);
    await deadLetter(quiet.tenant.id);
    await deadLetter(watched.tenant.id);
    const live = await subscribe(watched);

    await age(quiet.tenant.id, 30 * 60);
    await age(watched.tenant.id, 30 * 60);
    await live.waitFor('failedLastHour 1', (m) => failedLastHour(m) === 1);

    expect(env.api.live.failedLastHourDropsAt(quiet.tenant.id)).toBeNull();
    expect(env.api.live.failedLastHourDropsAt(watched.tenant.id)).toEqual(await oldestLeavesAt(watched.tenant.id));
    live.stop();
    await eventually('the timer to go with the subscriber', async () => env.api.live.failedLastHourDropsAt(watched.tenant.id) === null, 5000);
  });

  it('clears its timers when the api closes', async () => {
    const own = await createTestEnv();
    let closed = false;
    try {
      const a = await callerFactory(own);
      await deadLetter(a.tenant.id, own);
      const live = await subscribe(a, own, await listenUrl(own));
      await age(a.tenant.id, 30 * 60, own);
      await live.waitFor('failedLastHour 1', (m) => failedLastHour(m) === 1);
      expect(own.api.live.failedLastHourDropsAt(a.tenant.id)).not.toBeNull();

      await own.close();
      closed = true;

      expect(own.api.live.failedLastHourDropsAt(a.tenant.id)).toBeNull();
    } finally {
      if (!closed) await own.close();
    }
  });
});
