import { Client } from 'pg';
import { callerFactory, type Caller } from '../factories';
import { FAKE_ANSWER, startFakeOllama, type FakeOllama } from '../fakes/ollama.fake';
import { emailFactory, ingest } from '../ingestion/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually, startTestWorker, type TestWorker } from '../setup/worker';

interface SyncErrorRow {
  id: string;
  job_id: string;
  email_id: string;
  attempts: number;
  error: string;
  traceback: string;
  raw_payload: Buffer;
  payload: Record<string, unknown>;
  first_failed_at: string;
  last_failed_at: string;
}

describe('retries and the dead-letter queue (US-BKP-004, US-BKP-005)', () => {
  let ollama: FakeOllama;
  let env: TestEnv;
  let worker: TestWorker;
  let admin: Caller;
  const requestTimes: number[] = [];

  beforeAll(async () => {
    ollama = await startFakeOllama();
    env = await createTestEnv({ CLASSIFIER_PROVIDER: 'ollama', OLLAMA_HOST: ollama.url, PEBBLE_LLM_MODEL: 'llama3.1', CLASSIFIER_TIMEOUT_MS: '2000' });
    // Retry delays of 1, 2 and 4 s (pg-boss adds up to the same again as jitter) keep the test short.
    await env.ownerDb.query(`update pgboss.queue set retry_delay = 1 where name = 'email_processing'`);
    worker = await startTestWorker(env);
    admin = await callerFactory(env, 'admin');
  });
  afterAll(async () => {
    await worker.stop();
    await env.close();
    await ollama.close();
  });

  const gql = (query: string, variables: Record<string, unknown> = {}) =>
    env.api.app
      .inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${admin.access}`, 'content-type': 'application/json' }, payload: { query, variables } })
      .then((response) => response.json());

  it('tries a failing email 4 times with growing gaps, then records one SyncError and replays it into exactly one card', async () => {
    ollama.respondWith({ status: 500 });
    const listener = new Client({ connectionString: env.appUrl });
    listener.on('error', () => undefined);
    await listener.connect();
    const closeListener = () => listener.end().catch(() => undefined);
    const notices: Record<string, unknown>[] = [];
    listener.on('notification', (message) => notices.push(JSON.parse(message.payload ?? '{}')));
    await listener.query('listen pebble_ops');
    const watch = setInterval(() => {
      while (requestTimes.length < ollama.requests.length) requestTimes.push(Date.now());
    }, 20);

    const body = JSON.stringify(emailFactory({ subject: 'Where is my order?', body: 'Order 77 has not arrived.' }));
    const response = await ingest(env, admin.access, body);
    expect(response.statusCode).toBe(202);
    const trackingId: string = response.json().tracking_id;

    const [syncError] = await eventually(
      'the SyncError',
      () => env.ownerDb.query<SyncErrorRow>('select * from sync_errors where email_id = ?', [trackingId]).then((rows) => rows.length > 0 && rows),
      40_000,
    ).finally(() => clearInterval(watch));

    expect(ollama.requests).toHaveLength(4);
    const gaps = requestTimes.slice(1).map((time, index) => (time - requestTimes[index]) / 1000);
    // retryBackoff: at least 1, 2 and 4 seconds (the delay doubles), whatever the jitter.
    gaps.forEach((gap, index) => expect(gap).toBeGreaterThanOrEqual(0.9 * 2 ** index));
    expect(gaps[2]).toBeGreaterThan(gaps[0]);

    expect(syncError).toMatchObject({ job_id: trackingId, attempts: 4, payload: expect.objectContaining({ emailId: trackingId, tenantId: admin.tenant.id }) });
    expect(syncError.error).toMatch(/500/);
    expect(syncError.traceback).toContain('ClassifierError');
    expect(syncError.traceback).toMatch(/\n\s+at /);
    expect(syncError.raw_payload.toString('utf8')).toBe(body);
    expect(new Date(syncError.first_failed_at).getTime()).toBeLessThan(new Date(syncError.last_failed_at).getTime());

    const [email] = await env.ownerDb.query<{ status: string; attempts: number }>('select status, attempts from emails where id = ?', [trackingId]);
    expect(email).toEqual({ status: 'dead', attempts: 4 });
    const events = await env.ownerDb.query('select kind from activity_events where tenant_id = ? and kind = ?', [admin.tenant.id, 'sync.failed']);
    expect(events).toHaveLength(1);
    await eventually('the dead-letter NOTIFY', async () => notices.find((notice) => notice.tenantId === admin.tenant.id && notice.dlqCount === 1)).finally(closeListener);

    const stats = await gql('{ opsStats { dlqCount queued active failedLastHour } syncErrors(resolved: false) { id attempts emailId } }');
    expect(stats.data.opsStats).toEqual({ dlqCount: 1, queued: 0, active: 0, failedLastHour: 1 });
    expect(stats.data.syncErrors).toEqual([{ id: syncError.id, attempts: 4, emailId: trackingId }]);

    // The fault is gone: a replay makes one card, and a second replay cannot make another.
    ollama.respondWith({ answer: FAKE_ANSWER });
    const replayed = await gql('mutation($id: ID!) { replayDeadLetter(id: $id) { id replayedAt resolvedAt } }', { id: syncError.id });
    expect(replayed.data.replayDeadLetter.replayedAt).toEqual(expect.any(String));
    await eventually('the replayed email to be carded', () =>
      env.ownerDb.query<{ status: string }>('select status from emails where id = ?', [trackingId]).then(([row]) => row.status === 'carded'),
    );
    await gql('mutation($id: ID!) { replayDeadLetter(id: $id) { id } }', { id: syncError.id });
    await eventually('the second replay to finish', () =>
      env.ownerDb
        .query<{ n: string }>(`select count(*) as n from pgboss.job where name = 'email_processing' and data->>'emailId' = ? and state not in ('completed', 'failed')`, [trackingId])
        .then(([row]) => Number(row.n) === 0),
    );
    const cards = await env.ownerDb.query('select id from cards where tenant_id = ?', [admin.tenant.id]);
    expect(cards).toHaveLength(1);
    const after = await gql('{ opsStats { dlqCount } }');
    expect(after.data.opsStats.dlqCount).toBe(0);
  }, 60_000);

  it('lets an admin resolve a dead letter with a note, and refuses the dead-letter API to other roles', async () => {
    const [row] = await env.ownerDb.query<{ id: string }>(`select id from sync_errors where tenant_id = ? limit 1`, [admin.tenant.id]);
    const member = await callerFactory(env, 'member', admin.tenant);

    const resolved = await gql('mutation($id: ID!) { resolveSyncError(id: $id, note: "customer resent it") { resolutionNote resolvedAt } }', { id: row.id });
    const refused = await env.api.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${member.access}`, 'content-type': 'application/json' },
      payload: { query: '{ opsStats { dlqCount } }' },
    });

    expect(resolved.data.resolveSyncError).toEqual({ resolutionNote: 'customer resent it', resolvedAt: expect.any(String) });
    expect(refused.json().errors[0].extensions.code).toBe('FORBIDDEN');
    const unknown = await gql('mutation { replayDeadLetter(id: "00000000-0000-4000-8000-000000000000") { id } }');
    expect(unknown.errors[0].extensions.code).toBe('NOT_FOUND');
  });
});
