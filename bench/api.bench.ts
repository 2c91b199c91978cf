/**
 * `npm run bench`: requests per second of Pebble's authenticated paths against a bare Node HTTP server
 * measured in the same run (absolute numbers drift on shared machines; the ratios are what to compare).
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/platform/config/config';
import { Database } from '../src/platform/db/database';
import { appDatabaseUrl, migrate } from '../src/platform/db/migrate';
import { ensureDatabase, DEFAULT_LOCAL_URL } from '../src/platform/db/postgres';
import { createLogger } from '../src/platform/logging/logger';
import { createServices } from '../src/services';
import { TenantService } from '../src/tenancy/tenant.service';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

interface Scenario {
  name: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
}

async function measure(scenario: Scenario) {
  const result = await autocannon({
    url: scenario.url,
    method: scenario.method ?? 'GET',
    headers: scenario.headers,
    body: scenario.body,
    connections: scenario.connections ?? CONNECTIONS,
    duration: DURATION,
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { name: scenario.name, rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, errors };
}

async function main(): Promise<void> {
  const logger = createLogger('warn', 'pebble-bench');
  const ownerUrl = process.env.DATABASE_URL ?? DEFAULT_LOCAL_URL.replace(/\/pebble$/, '/pebble_bench');
  await ensureDatabase(ownerUrl, logger);
  await migrate(ownerUrl, undefined, logger);
  const config = parseConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn', JWT_SECRET: 'bench-secret-bench-secret-bench-secret-000', DB_POOL_SIZE: '10' });
  const owner = await Database.connect(ownerUrl, 1);
  const tenants = new TenantService(owner);
  const slug = `bench-${Date.now().toString(36)}`;
  const tenant = await tenants.createTenant({ slug, name: 'Bench' });
  const email = `bench@${slug}.example`;
  await tenants.createUser(TenantService.operatorAuth(tenant, 'bench'), { email, password: 'bench-password', role: 'admin' });
  await owner.close();

  const db = await Database.connect(appDatabaseUrl(ownerUrl, undefined, undefined), config.DB_POOL_SIZE);
  const services = createServices(config, config.JWT_SECRET!, db);
  const api = await buildApp({ config, logger, db, services });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  const { access } = await services.auth.login({ email, password: 'bench-password' }, 'bench');

  const bare = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
  await new Promise<void>((done) => bare.listen(0, '127.0.0.1', done));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;

  const auth = { authorization: `Bearer ${access}`, 'content-type': 'application/json' };
  const scenarios: Scenario[] = [
    { name: 'baseline: bare node:http, static JSON', url: bareUrl },
    { name: 'GET /healthz (Fastify, hooks, logging)', url: `${base}/healthz` },
    { name: 'GET /api/v1/me/ (JWT verify + tenant transaction + select)', url: `${base}/api/v1/me/`, headers: auth },
    { name: 'POST /graphql { me { email } }', url: `${base}/graphql`, method: 'POST', headers: auth, body: JSON.stringify({ query: '{ me { email } }' }) },
    {
      name: 'POST /api/v1/token/ (scrypt login, 4 connections)',
      url: `${base}/api/v1/token/`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench-password' }),
      connections: 4,
    },
  ];
  const rows = [];
  for (const scenario of scenarios) rows.push(await measure(scenario));
  const baseline = rows[0].rps;
  process.stdout.write(`\n${DURATION}s per scenario, ${CONNECTIONS} connections unless noted, Node ${process.version}\n\n`);
  process.stdout.write('| scenario | req/s | vs baseline | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|---:|\n');
  for (const row of rows) {
    process.stdout.write(`| ${row.name} | ${row.rps} | ${(row.rps / baseline).toFixed(2)} | ${row.p50} | ${row.p99} | ${row.errors} |\n`);
  }
  bare.close();
  await api.close();
  await db.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
