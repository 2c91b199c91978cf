/**
 * `npm run bench:pipeline`: emails → cards per second through the real worker (builtin classifier), against
 * raw pg-boss throughput (a no-op handler, same batch size) measured in the same run. Two passes of 20,000
 * emails each, queued first, 10 % of them duplicates: a worker serving the email queues only, then one
 * serving every queue, which also indexes the new cards and events into a Chroma of the bench's own.
 * Afterwards cards must equal the unique emails.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PgBoss from 'pg-boss';
import pino from 'pino';
import { startWorkers } from '../jobs/registry';
import { EmailBatchWriter, type PendingEmail } from '../src/ingestion/email-batch-writer';
import { emailSubmissionSchema, normalizeSubmission } from '../src/ingestion/email-submission';
import { resolveChroma } from '../src/platform/chroma/chroma-server';
import { parseConfig, type Config } from '../src/platform/config/config';
import { Database } from '../src/platform/db/database';
import { appDatabaseUrl, migrate } from '../src/platform/db/migrate';
import { DEFAULT_LOCAL_URL, dropDatabaseOf, freePort, recreateDatabase } from '../src/platform/db/postgres';
import { BOSS_SCHEMA, startBoss } from '../src/platform/queue/boss';
import { JobWriter } from '../src/platform/queue/job-writer';
import type { JobName } from '../src/platform/queue/jobs';
import { createServices } from '../src/services';
import { TenantService } from '../src/tenancy/tenant.service';

const TOTAL = Number(process.env.BENCH_EMAILS ?? 20_000);
const DUPLICATE_SHARE = 0.1;
const SUBJECTS = ['Order 4711 is late', 'Invoice 2024-118 overdue', 'Request for a quote: 500 units', 'Login does not work', 'Very unhappy with the delivery'];
/** What a worker dedicated to the email pipeline serves (`WORKER_QUEUES`). */
const EMAIL_QUEUES: JobName[] = ['email_processing', 'email_dlq'];

interface PassResult {
  rate: number;
  p50: number;
  p99: number;
  w50: number;
  w99: number;
  consistent: boolean;
  counts: string;
}

async function main(): Promise<void> {
  const ownerUrl = process.env.DATABASE_URL ?? DEFAULT_LOCAL_URL.replace(/\/pebble$/, '/pebble_bench');
  const logger = pino({ level: 'warn' });
  // A fresh database each run: the job tables' dead rows from earlier runs would slow pg-boss and Pebble alike.
  await recreateDatabase(ownerUrl);
  await migrate(ownerUrl, undefined, logger);
  const tuning = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('WORKER_BATCH') || name === 'DB_POOL_SIZE'));
  const chromaHome = mkdtempSync(join(tmpdir(), 'pebble-bench-chroma-'));
  const chroma = await resolveChroma(undefined, chromaHome, await freePort(), logger);
  const config = parseConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn', JWT_SECRET: 'bench-secret-bench-secret-bench-secret-000', CHROMA_URL: chroma.url, ...tuning });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const owner = await Database.connect(ownerUrl, 1);
  const db = await Database.connect(appDatabaseUrl(ownerUrl, undefined, undefined), config.DB_POOL_SIZE, config.DB_POOL_SIZE);
  try {
    const baseline = await rawBossRate(ownerUrl, config.WORKER_BATCH_SIZE, logger);
    const dedicated = await workerPass(ownerUrl, owner, db, config, logger, EMAIL_QUEUES);
    const everything = await workerPass(ownerUrl, owner, db, config, logger, undefined);

    out(`\n${TOTAL} emails (${TOTAL - Math.round(TOTAL * (1 - DUPLICATE_SHARE))} duplicates) per pass, batch size ${config.WORKER_BATCH_SIZE}, pool ${config.DB_POOL_SIZE}, Node ${process.version}\n`);
    out('| scenario | jobs/s | vs baseline | processing p50 / p99 ms | queued → card p50 / p99 s |');
    out('|---|---:|---:|---|---|');
    out(`| baseline: raw pg-boss, no-op handler | ${Math.round(baseline)} | 1.00 | | |`);
    for (const [name, pass] of [
      [`Pebble worker serving ${EMAIL_QUEUES.join(', ')}: emails → cards (builtin classifier)`, dedicated],
      ['Pebble worker serving every queue: emails → cards while it also indexes into Chroma', everything],
    ] as const) {
      out(`| ${name} | ${Math.round(pass.rate)} | ${(pass.rate / baseline).toFixed(2)} | ${Math.round(pass.p50)} / ${Math.round(pass.p99)} | ${(pass.w50 / 1000).toFixed(1)} / ${(pass.w99 / 1000).toFixed(1)} |`);
    }
    for (const [name, pass] of [['dedicated worker', dedicated], ['worker serving every queue', everything]] as const) out(`${name}: ${pass.counts}`);
    const ok = dedicated.consistent && everything.consistent;
    out(ok ? 'consistent: cards = unique emails in both passes' : 'INCONSISTENT: see the counts above');
    if (!ok) process.exitCode = 1;
  } finally {
    await db.close();
    await owner.close();
    await chroma.stop();
    rmSync(chromaHome, { recursive: true, force: true });
    await dropDatabaseOf(ownerUrl);
  }
}

/**
 * One tenant's emails queued through the ingestion writer first, then one worker (serving `queues`, every queue
 * when undefined) started; timed until no email is queued or processing. Everything of the tenant is removed after.
 */
async function workerPass(ownerUrl: string, owner: Database, db: Database, config: Config, logger: pino.Logger, queues: JobName[] | undefined): Promise<PassResult> {
  const tenant = await new TenantService(owner).createTenant({ slug: `pipeline-${Date.now().toString(36)}`, name: 'Pipeline bench' });
  const auth = { tenantId: tenant.id, userId: null, role: 'integration' as const, correlationId: 'bench', sourceSystem: 'api' };
  const schema = emailSubmissionSchema({ subjectMaxChars: 1000, textMaxChars: 200_000 });
  const unique = Math.round(TOTAL * (1 - DUPLICATE_SHARE));
  const writer = new EmailBatchWriter(db, new JobWriter());
  const emails: PendingEmail[] = Array.from({ length: TOTAL }, (_, index) => {
    const n = index < unique ? index : index % unique;
    const input = { subject: `${SUBJECTS[n % SUBJECTS.length]} (#${n})`, from: `customer${n % 50}@acme${n % 7}.example`, body: `Hello, about case ${n}: ${SUBJECTS[n % SUBJECTS.length]}. Regards`, message_id: `<bench-${tenant.id}-${n}@mail.example>` };
    return { id: randomUUID(), auth, email: normalizeSubmission(schema.parse(input), Buffer.from(JSON.stringify(input))), idempotencyKey: null };
  });
  for (let offset = 0; offset < emails.length; offset += 500) await writer.write(emails.slice(offset, offset + 500));

  const services = createServices(config, config.JWT_SECRET!, db, logger);
  const boss = await startBoss({ connectionString: appDatabaseUrl(ownerUrl, undefined, undefined), logger, worker: true });
  try {
    const started = performance.now();
    await startWorkers(boss, services, logger, { batchSize: config.WORKER_BATCH_SIZE, queues });
    for (;;) {
      const [{ open }] = await owner.query<{ open: string }>(`select count(*) as open from emails where tenant_id = ? and status in ('queued', 'processing')`, [tenant.id]);
      if (Number(open) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    const [counts] = await owner.query<{ cards: string; carded: string; duplicates: string; dead: string; p50: number; p99: number; w50: number; w99: number }>(
      `select (select count(*) from cards where tenant_id = ?) as cards,
         count(*) filter (where status = 'carded') as carded, count(*) filter (where status = 'duplicate') as duplicates,
         count(*) filter (where status = 'dead') as dead,
         percentile_cont(0.5) within group (order by extract(epoch from finished_at - processing_started_at) * 1000) as p50,
         percentile_cont(0.99) within group (order by extract(epoch from finished_at - processing_started_at) * 1000) as p99,
         percentile_cont(0.5) within group (order by extract(epoch from finished_at - created_at) * 1000) as w50,
         percentile_cont(0.99) within group (order by extract(epoch from finished_at - created_at) * 1000) as w99
       from emails where tenant_id = ?`,
      [tenant.id, tenant.id],
    );
    const consistent = Number(counts.cards) === unique && Number(counts.carded) === unique && Number(counts.duplicates) === TOTAL - unique;
    return {
      rate: TOTAL / seconds,
      ...counts,
      consistent,
      counts: `cards ${counts.cards}, carded ${counts.carded}, duplicates ${counts.duplicates}, dead ${counts.dead}${consistent ? '' : ` — expected ${unique} cards`}`,
    };
  } finally {
    // Lets the jobs in hand finish (an indexing batch may still run) before the tenant is removed under them.
    await boss.stop({ graceful: true, wait: true, close: true, timeout: 60_000 });
    await services.close();
    await owner.query(`delete from ${BOSS_SCHEMA}.job where data->>'tenantId' = ?`, [tenant.id]);
    await owner.query(`delete from ${BOSS_SCHEMA}.archive where data->>'tenantId' = ?`, [tenant.id]);
    await owner.query('delete from tenants where id = ?', [tenant.id]);
  }
}

/** Jobs per second pg-boss itself completes with a handler that does nothing, fetching `batchSize` at a time. */
async function rawBossRate(ownerUrl: string, batchSize: number, logger: pino.Logger): Promise<number> {
  const boss = await startBoss({ connectionString: ownerUrl, logger, worker: true });
  const queue = 'bench_noop';
  await boss.deleteQueue(queue).catch(() => undefined);
  await boss.createQueue(queue);
  for (let offset = 0; offset < TOTAL; offset += 1000) {
    await boss.insert(Array.from({ length: Math.min(1000, TOTAL - offset) }, (_, i) => ({ name: queue, data: { n: offset + i } })));
  }
  let done = 0;
  const started = performance.now();
  await new Promise<void>((finished) => {
    let workerId = '';
    void boss
      .work(queue, { batchSize, pollingIntervalSeconds: 0.5 } as PgBoss.WorkOptions, async (jobs) => {
        done += jobs.length;
        if (done >= TOTAL) setImmediate(finished);
        // The same loop as Pebble's workers: a full batch fetches again without waiting out the interval.
        if (jobs.length >= batchSize) boss.notifyWorker(workerId);
      })
      .then((id) => (workerId = id));
  });
  // The last batch is completed after its handler returns; wait for pg-boss to record it.
  for (;;) {
    const left = await boss.getQueueSize(queue);
    if (left === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  await boss.stop({ graceful: true, wait: true, close: true });
  await boss.deleteQueue(queue).catch(() => undefined);
  return TOTAL / seconds;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
