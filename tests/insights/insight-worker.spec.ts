import { Client } from 'pg';
import { startWorkers } from '../../jobs/registry';
import { INSIGHTS_CHANNEL, InsightSynthesizer, type InsightNotification } from '../../src/insights/insight-synthesizer';
import type { LlmProvider } from '../../src/insights/llm/llm-provider';
import { createLogger } from '../../src/platform/logging/logger';
import { startBoss } from '../../src/platform/queue/boss';
import { JobWriter } from '../../src/platform/queue/job-writer';
import { IndexQueue } from '../../src/search/index-queue';
import type { Services } from '../../src/services';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually, startTestWorker, type TestWorker } from '../setup/worker';
import { companyFactory, daysBefore, graphql, insightEvents, periodEndAfterNow, processedEmail } from './factories';

const SYNTHESIZE = `
  mutation Synthesize($entityId: ID, $periodEnd: DateTimeISO) {
    synthesizeInsights(entityId: $entityId, periodEnd: $periodEnd) { runId periodStart periodEnd }
  }`;

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'pebble-test-worker');

/** A LISTEN connection on the insights channel, and what it has heard. */
async function listen(env: TestEnv): Promise<{ heard: (InsightNotification & { committed: boolean })[]; close(): Promise<void> }> {
  const client = new Client({ connectionString: env.appUrl });
  client.on('error', () => undefined);
  await client.connect();
  const heard: (InsightNotification & { committed: boolean })[] = [];
  client.on('notification', (message) => {
    const notice = JSON.parse(message.payload ?? '{}') as InsightNotification;
    // Looked up from another connection at once: a notification delivered before its commit would find nothing.
    void env.ownerDb
      .query('select 1 from insight_syntheses where id = ?', [notice.insightId])
      .then((rows) => heard.push({ ...notice, committed: rows.length === 1 }));
  });
  await client.query(`listen ${INSIGHTS_CHANNEL}`);
  return { heard, close: () => client.end().catch(() => undefined) };
}

describe('insight jobs (US-BKP-008)', () => {
  let env: TestEnv;
  let worker: TestWorker;
  let manager: Caller;
  let companyId: string;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startTestWorker(env);
    manager = await callerFactory(env, 'manager');
    const integration = await callerFactory(env, 'integration', manager.tenant);
    const company = await companyFactory(env, manager.auth, { name: 'Worker Widgets' });
    companyId = company.id;
    await processedEmail(env, integration, { from: `ann@${company.domain}`, subject: 'Order 5 is backordered', body: 'Our order 5 is backordered again.' });
  });
  afterAll(async () => {
    await worker.stop();
    await env.close();
  });

  it('turns synthesizeInsights into a job whose insight, event and notification arrive, the notification after the commit', async () => {
    const listener = await listen(env);
    const periodEnd = periodEndAfterNow();

    const answer = await graphql(env, manager.access, SYNTHESIZE, { periodEnd: periodEnd.toISOString() });

    expect(answer.errors).toBeUndefined();
    const run = answer.data!.synthesizeInsights as { runId: string; periodStart: string; periodEnd: string };
    expect(run).toEqual({ runId: expect.any(String), periodStart: daysBefore(periodEnd, 7).toISOString(), periodEnd: periodEnd.toISOString() });
    const notice = await eventually('the insight notification', async () => listener.heard.find((heard) => heard.tenantId === manager.tenant.id)).finally(
      () => listener.close(),
    );
    const [insight] = await env.ownerDb.query<{ id: string; score: number; run_id: string; correlation_id: string }>(
      'select id, score, run_id, correlation_id from insight_syntheses where tenant_id = ? and entity_id = ?',
      [manager.tenant.id, companyId],
    );
    expect(notice).toEqual({ topic: 'insight', tenantId: manager.tenant.id, entityId: companyId, insightId: insight.id, score: insight.score, committed: true });
    expect(insight.run_id).toBe(run.runId);
    expect(await insightEvents(env, manager.tenant.id)).toEqual([expect.objectContaining({ entity_id: companyId, payload: expect.objectContaining({ insightId: insight.id }) })]);
    const [job] = await env.ownerDb.query<{ state: string; data: Record<string, unknown> }>(
      `select state, data from pgboss.job where name = 'synthesize_tenant_insights' and id = ?`,
      [run.runId],
    );
    // The tenant comes from the token; the request's correlation id follows the job into the row.
    expect(job).toEqual({ state: 'completed', data: { tenantId: manager.tenant.id, correlationId: insight.correlation_id, runId: run.runId, periodEnd: run.periodEnd } });
  });

  it('fans a scheduled run out to one job per tenant, ending the period at the start of the UTC day by default; a second fan-out adds none', async () => {
    const tenants = await env.ownerDb.query<{ id: string }>('select id from tenants');

    const runId = await worker.boss.send('synthesize_insights', { correlationId: 'test-schedule' });

    const jobs = await eventually('the tenant jobs', async () => {
      const found = await env.ownerDb.query<{ data: { tenantId: string; runId: string; periodEnd: string } }>(
        `select data from pgboss.job where name = 'synthesize_tenant_insights' and data->>'runId' = ?`,
        [runId],
      );
      return found.length === tenants.length && found;
    });
    const [{ created_on: queuedAt }] = await env.ownerDb.query<{ created_on: string }>(
      `select created_on from pgboss.job where name = 'synthesize_insights' and id = ?`,
      [runId],
    );
    const queued = new Date(queuedAt);
    const midnight = new Date(Date.UTC(queued.getUTCFullYear(), queued.getUTCMonth(), queued.getUTCDate())).toISOString();
    expect(jobs.map((job) => job.data.tenantId).sort()).toEqual(tenants.map((tenant) => tenant.id).sort());
    expect(jobs.map((job) => job.data.periodEnd)).toEqual(jobs.map(() => midnight));
    expect(await env.services.synthesizer.fanOut({ runId: runId!, correlationId: 'test-schedule', periodEnd: new Date(jobs[0].data.periodEnd) })).toEqual({
      queued: 0,
      existing: tenants.length,
    });
  });

  it('registers the weekly schedule once, with the configured cron and time zone, when three workers start at the same time', async () => {
    const bosses = await Promise.all([1, 2, 3].map(() => startBoss({ connectionString: env.appUrl, logger, worker: true })));
    try {
      await Promise.all(
        bosses.map((boss) => startWorkers(boss, env.services, logger, { batchSize: 10, insightsSchedule: { cron: env.config.INSIGHTS_CRON, timezone: 'Europe/Berlin' } })),
      );

      const schedules = await env.ownerDb.query<{ name: string; cron: string; timezone: string; data: unknown }>(
        `select name, cron, timezone, data from pgboss.schedule where name = 'synthesize_insights'`,
      );
      expect(schedules).toEqual([{ name: 'synthesize_insights', cron: '0 6 * * 1', timezone: 'Europe/Berlin', data: { correlationId: 'schedule:synthesize_insights' } }]);
    } finally {
      await Promise.all(bosses.map((boss) => boss.stop({ graceful: false, wait: true, close: true })));
    }
  });
});

describe('insight jobs that fail every attempt', () => {
  let env: TestEnv;
  let admin: Caller;

  beforeAll(async () => {
    env = await createTestEnv();
    admin = await callerFactory(env, 'admin');
    const company = await companyFactory(env, admin.auth);
    await processedEmail(env, admin, { from: `ann@${company.domain}`, subject: 'Order 6', body: 'Please deliver order 6.' });
    // No retries: the first failure dead-letters the job.
    await env.ownerDb.query(`update pgboss.queue set retry_limit = 0 where name = 'synthesize_tenant_insights'`);
  });
  afterAll(() => env.close());

  it('become a SyncError, and replaying it resumes the same run', async () => {
    const broken: LlmProvider = { name: 'broken', summarize: () => Promise.reject(new Error('summary writer exploded')) };
    const services: Services = {
      ...env.services,
      synthesizer: new InsightSynthesizer(env.db, broken, new JobWriter(), new IndexQueue(new JobWriter()), { periodDays: 7 }, logger),
    };
    const failing = await startTestWorker(env, services);
    const answer = await graphql(env, admin.access, SYNTHESIZE, { periodEnd: periodEndAfterNow().toISOString() });
    const { runId } = answer.data!.synthesizeInsights as { runId: string };

    const [syncError] = await eventually('the SyncError', () =>
      env.ownerDb
        .query<{ id: string; queue: string; source_system: string; error: string; traceback: string; payload: Record<string, unknown> }>(
          'select * from sync_errors where tenant_id = ?',
          [admin.tenant.id],
        )
        .then((rows) => rows.length > 0 && rows),
    ).finally(() => failing.stop());

    expect(syncError).toMatchObject({ queue: 'synthesize_tenant_insights', source_system: 'insights', error: 'summary writer exploded', payload: { runId } });
    expect(syncError.traceback).toContain('summary writer exploded');

    const worker = await startTestWorker(env);
    try {
      const replayed = await graphql(env, admin.access, 'mutation($id: ID!) { replayDeadLetter(id: $id) { replayedAt } }', { id: syncError.id });
      expect(replayed.errors).toBeUndefined();
      const rows = await eventually('the replayed run', () =>
        env.ownerDb.query<{ run_id: string }>('select run_id from insight_syntheses where tenant_id = ?', [admin.tenant.id]).then((found) => found.length > 0 && found),
      );
      expect(rows).toEqual([{ run_id: runId }]);
    } finally {
      await worker.stop();
    }
  });
});
