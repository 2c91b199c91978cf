import type PgBoss from 'pg-boss';
import { startWorkers } from '../../jobs/registry';
import { createLogger } from '../../src/platform/logging/logger';
import { startBoss } from '../../src/platform/queue/boss';
import type { JobName } from '../../src/platform/queue/jobs';
import { callerFactory } from '../factories';
import { emailFactory, ingest } from '../ingestion/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually } from '../setup/worker';

describe('workers serving some queues (WORKER_QUEUES)', () => {
  let env: TestEnv;
  const bosses: PgBoss[] = [];
  const logger = createLogger('silent', 'pebble-test-worker');

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await Promise.all(bosses.map((boss) => boss.stop({ graceful: false, wait: true, close: true })));
    await env.close();
  });

  async function worker(queues: JobName[]): Promise<JobName[]> {
    const boss = await startBoss({ connectionString: env.appUrl, logger, worker: true, maintenanceSeconds: 1 });
    bosses.push(boss);
    return startWorkers(boss, env.services, logger, { batchSize: 10, queues });
  }

  const jobStates = async (tenantId: string) =>
    env.ownerDb.query<{ name: string; state: string }>(`select name, state from pgboss.job where data->>'tenantId' = ? order by name`, [tenantId]);

  it('leaves the other queues to other workers: emails are carded here, indexed only once an indexing worker starts', async () => {
    const caller = await callerFactory(env, 'integration');
    expect(await worker(['email_processing', 'email_dlq'])).toEqual(['email_processing', 'email_dlq']);
    const trackingId = (await ingest(env, caller.access, emailFactory({ subject: 'Pallet of lanterns for the harbour' }))).json().tracking_id as string;

    await eventually('the email to be carded', async () => {
      const [email] = await env.ownerDb.query<{ status: string }>('select status from emails where id = ?', [trackingId]);
      return email?.status === 'carded';
    });
    // Three polling intervals of the email worker: it never takes an indexing job.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const waiting = await jobStates(caller.tenant.id);
    expect(waiting.filter((job) => job.name === 'index_activity').length).toBeGreaterThan(0);
    expect(waiting.filter((job) => job.name === 'index_activity').every((job) => job.state === 'created')).toBe(true);

    await worker(['index_activity', 'index_dlq']);
    await eventually('the indexing jobs to complete', async () => (await jobStates(caller.tenant.id)).every((job) => job.state === 'completed'));
    const documents = await env.ownerDb.query<{ doc_type: string }>('select doc_type from search_documents where tenant_id = ? order by doc_type', [caller.tenant.id]);
    expect(documents.map((row) => row.doc_type)).toEqual(expect.arrayContaining(['card', 'email']));
  });
});
