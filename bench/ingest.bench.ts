/**
 * `npm run bench:ingest`: accepted emails per second through `POST /api/v1/ingestion/email/` against a bare
 * Node `http` server answering 202 to the same 2 KB JSON POST, measured in the same run. Afterwards it
 * checks that every 202 left exactly one Email row and one `email_processing` job.
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import pino from 'pino';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/platform/config/config';
import { Database } from '../src/platform/db/database';
import { appDatabaseUrl, migrate } from '../src/platform/db/migrate';
import { DEFAULT_LOCAL_URL, ensureDatabase } from '../src/platform/db/postgres';
import { createServices } from '../src/services';
import { TenantService } from '../src/tenancy/tenant.service';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

/** A realistic 2 KB inbound email. */
const EMAIL = JSON.stringify({
  subject: 'Order 4711: two pallets short, please advise on the backorder',
  from: 'Ann Lee <ann.lee@acme.example>',
  to: 'orders@pebble.example',
  body: `Hello team,\n\n${'We received the delivery for order 4711 this morning, but two pallets of the blue widgets are missing. '.repeat(17)}\n\nBest regards,\nAnn`,
  attachment_urls: ['https://files.acme.example/delivery-note-4711.pdf'],
  source_system: 'email-listener',
});

interface Measured {
  name: string;
  rps: number;
  accepted: number;
  p50: number;
  p99: number;
  errors: number;
}

async function measure(name: string, url: string, headers: Record<string, string>): Promise<Measured> {
  // The load generator runs in a worker thread, so it does not share the event loop with the server.
  const result = await autocannon({ url, method: 'POST', headers, body: EMAIL, connections: CONNECTIONS, duration: DURATION, workers: 1 });
  const accepted = result.statusCodeStats?.['202']?.count ?? 0;
  return {
    name,
    rps: Math.round(accepted / DURATION),
    accepted,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + (result.requests.total - accepted),
  };
}

async function main(): Promise<void> {
  const ownerUrl = process.env.DATABASE_URL ?? DEFAULT_LOCAL_URL.replace(/\/pebble$/, '/pebble_bench');
  // Request logging stays on at `info`, as in production, but is written to /dev/null so the bench output stays readable.
  const logger = pino({ level: 'info', base: { pid: process.pid } }, pino.destination({ dest: '/dev/null', sync: false }));
  await ensureDatabase(ownerUrl, logger);
  await migrate(ownerUrl, undefined, logger);
  // INGEST_* variables from the environment tune the run (batch size, wait, concurrency), as they would tune `pebble serve`.
  const tuning = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('INGEST_')));
  const config = parseConfig({ NODE_ENV: 'production', LOG_LEVEL: 'info', JWT_SECRET: 'bench-secret-bench-secret-bench-secret-000', DB_POOL_SIZE: '10', ...tuning });

  const owner = await Database.connect(ownerUrl, 1);
  const tenants = new TenantService(owner);
  const slug = `ingest-${Date.now().toString(36)}`;
  const tenant = await tenants.createTenant({ slug, name: 'Ingest bench' });
  const email = `listener@${slug}.example`;
  await tenants.createUser(TenantService.operatorAuth(tenant, 'bench'), { email, password: 'bench-password', role: 'integration' });

  const db = await Database.connect(appDatabaseUrl(ownerUrl, undefined, undefined), config.DB_POOL_SIZE, config.INGEST_BATCH_CONCURRENCY);
  const services = createServices(config, config.JWT_SECRET!, db, logger);
  const api = await buildApp({ config, logger, db, services });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const pebbleUrl = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}/api/v1/ingestion/email/`;
  const { access } = await services.auth.login({ email, password: 'bench-password' }, 'bench');

  const receipt = JSON.stringify({ tracking_id: '00000000-0000-4000-8000-000000000000', status: 'queued' });
  const bare = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(202, { 'content-type': 'application/json' }).end(receipt));
  });
  await new Promise<void>((listening) => bare.listen(0, '127.0.0.1', listening));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;

  const json = { 'content-type': 'application/json' };
  const baseline = await measure('baseline: bare node:http answering 202', bareUrl, json);
  const pebble = await measure('Pebble POST /api/v1/ingestion/email/ (JWT, validation, blacklist, group commit)', pebbleUrl, {
    ...json,
    authorization: `Bearer ${access}`,
  });
  await services.close();

  const [{ emails }] = await owner.query<{ emails: string }>('select count(*) as emails from emails where tenant_id = ?', [tenant.id]);
  const [{ jobs }] = await owner.query<{ jobs: string }>(
    `select count(*) as jobs from pgboss.job where name = 'email_processing' and data->>'tenantId' = ?`,
    [tenant.id],
  );
  const [{ batches, items }] = await owner.query<{ batches: string; items: string }>(
    // Recover the batch sizes from commit timestamps: rows of one transaction share created_at (now()).
    'select count(distinct created_at) as batches, count(*) as items from emails where tenant_id = ?',
    [tenant.id],
  );

  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`\n${DURATION}s per scenario, ${CONNECTIONS} connections, 2 KB JSON body, Node ${process.version}\n`);
  out('| scenario | accepted/s | vs baseline | p50 ms | p99 ms | errors |');
  out('|---|---:|---:|---:|---:|---:|');
  for (const row of [baseline, pebble]) {
    out(`| ${row.name} | ${row.rps} | ${(row.rps / baseline.rps).toFixed(2)} | ${row.p50} | ${row.p99} | ${row.errors} |`);
  }
  out(`\nratio Pebble / baseline: ${((pebble.rps / baseline.rps) * 100).toFixed(1)} %`);
  out(`202 answers: ${pebble.accepted}; Email rows: ${emails}; email_processing jobs: ${jobs}`);
  out(`transactions: ${batches} (mean ${(Number(items) / Math.max(1, Number(batches))).toFixed(1)} emails per commit)`);
  // autocannon stops at the deadline without reading the answers still in flight (at most one per
  // connection); those requests were committed all the same, so they show up as rows without a counted 202.
  const unanswered = Number(emails) - pebble.accepted;
  const consistent = Number(emails) === Number(jobs) && unanswered >= 0 && unanswered <= CONNECTIONS;
  out(
    consistent
      ? `consistent: one row and one job per 202, plus ${unanswered} committed requests whose answers autocannon did not wait for`
      : 'INCONSISTENT: rows, jobs and 202 answers disagree',
  );

  // The bench database keeps its schema between runs; drop this run's rows so it does not grow.
  await owner.query(`delete from pgboss.job where name = 'email_processing' and data->>'tenantId' = ?`, [tenant.id]);
  await owner.query('delete from tenants where id = ?', [tenant.id]);
  bare.close();
  await api.close();
  await db.close();
  await owner.close();
  if (!consistent) process.exit(1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
