/**
 * `npm run bench:fanout`: how fast one api process pushes a change to 1,000 graphql-ws subscribers of one tenant.
 * Pebble runs as a `pebble serve` child process; this process opens the sockets, subscribes each to
 * `opsStatsChanged` and commits real dead letters (`DeadLetterService.record`, as the `email_dlq` handler does).
 * Latency is from the moment the commit returned here to each subscriber's receipt. The baseline, in the same run,
 * is a bare graphql-ws server (`useServer` on a `ws` server, a one-field schema fed by an in-process
 * EventEmitter) in a child process, measured from the emit request to each receipt.
 */
import 'reflect-metadata';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter, on } from 'node:events';
import { cpus } from 'node:os';
import path from 'node:path';
import { GraphQLBoolean, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import pino from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { parseConfig } from '../src/platform/config/config';
import { Database } from '../src/platform/db/database';
import { appDatabaseUrl, migrate } from '../src/platform/db/migrate';
import { DEFAULT_LOCAL_URL, ensureDatabase, freePort } from '../src/platform/db/postgres';
import { BOSS_SCHEMA } from '../src/platform/queue/boss';
import { createServices } from '../src/services';
import { TenantService } from '../src/tenancy/tenant.service';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
/** Sockets opened at once; the next batch waits until these are acknowledged. */
const OPEN_BATCH = 50;
/** Between two rounds: more than twice LIVE_UPDATE_INTERVAL_MS (250), so each change is the first of a quiet tenant and is flushed at once. */
const GAP_MS = 600;
/** A round whose messages have not all arrived by then counts the missing ones. */
const ROUND_TIMEOUT_MS = 10_000;
const TARGET_P99_MS = 250;
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-000';
const OPS_STATS = 'subscription { opsStatsChanged { dlqCount queued active failedLastHour } }';

interface Stats {
  dlqCount: number;
  queued: number;
  active: number;
  failedLastHour: number;
}

/** Receipts of the round in progress: the time each subscriber got the expected figures. */
interface Round {
  expected: number;
  receivedAt: Float64Array;
  received: number;
  allReceived: () => void;
}

interface Measured {
  name: string;
  latencies: number[];
  /** Messages per second of each round: subscribers / (last receipt − trigger). */
  rates: number[];
  /** Per round, when the first and the last subscriber had it. */
  firsts: number[];
  lasts: number[];
  missed: number;
  openSeconds: number;
}

/** The value at quantile `q` (0–1) of sorted values, by nearest rank. */
function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


/**
 * `SUBSCRIBERS` graphql-ws clients, opened `OPEN_BATCH` at a time, each subscribed to `query`; every message goes
 * to `onMessage(subscriber, payload)`.
 */
async function openSubscribers(url: string, connectionParams: Record<string, unknown>, query: string, onMessage: (index: number, stats: Stats) => void): Promise<Client[]> {
  const clients: Client[] = [];
  for (let start = 0; start < SUBSCRIBERS; start += OPEN_BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(OPEN_BATCH, SUBSCRIBERS - start) }, (_, offset) => {
        const index = start + offset;
        return new Promise<void>((connected, failed) => {
          const client = createClient({
            url,
            webSocketImpl: WebSocket,
            lazy: false,
            retryAttempts: 0,
            connectionParams,
            onNonLazyError: failed,
            on: { connected: () => connected(), error: failed },
          });
          clients.push(client);
          client.subscribe<{ opsStatsChanged: Stats }>(
            { query },
            {
              next: (message) => message.data && onMessage(index, message.data.opsStatsChanged),
              error: (error) => process.stderr.write(`subscriber ${index} failed: ${JSON.stringify(error)}\n`),
              complete: () => undefined,
            },
          );
        });
      }),
    );
  }
  return clients;
}

/**
 * Opens the subscribers, warms up until every one of them got a change (so each subscription is registered on the
 * server), then measures `ROUNDS` changes. `change(n)` makes the n-th change, whose `dlqCount` is n, and resolves
 * at the instant the latency is measured from.
 */
async function measure(name: string, url: string, connectionParams: Record<string, unknown>, change: (n: number) => Promise<number>): Promise<Measured> {
  let round: Round | null = null;
  const openedAt = performance.now();
  const clients = await openSubscribers(url, connectionParams, OPS_STATS, (index, stats) => {
    const now = performance.now();
    if (!round || stats.dlqCount !== round.expected || !Number.isNaN(round.receivedAt[index])) return;
    round.receivedAt[index] = now;
    if (++round.received === SUBSCRIBERS) round.allReceived();
  });
  const openSeconds = (performance.now() - openedAt) / 1000;

  let n = 0;
  const run = async () => {
    let allReceived!: () => void;
    const done = new Promise<void>((resolve) => (allReceived = resolve));
    round = { expected: ++n, receivedAt: new Float64Array(SUBSCRIBERS).fill(NaN), received: 0, allReceived };
    const current = round;
    const startedAt = await change(n);
    await Promise.race([done, sleep(ROUND_TIMEOUT_MS)]);
    round = null;
    await sleep(GAP_MS);
    return { startedAt, receivedAt: current.receivedAt, received: current.received };
  };

  for (let warmups = 0; ; warmups++) {
    const { received } = await run();
    if (received === SUBSCRIBERS && warmups >= 1) break;
    if (warmups >= 10) throw new Error(`${name}: only ${received} of ${SUBSCRIBERS} subscribers receive changes`);
  }
  const result: Measured = { name, latencies: [], rates: [], firsts: [], lasts: [], missed: 0, openSeconds };
  for (let i = 0; i < ROUNDS; i++) {
    const { startedAt, receivedAt, received } = await run();
    const latencies = [...receivedAt].filter((at) => !Number.isNaN(at)).map((at) => at - startedAt).sort((a, b) => a - b);
    result.latencies.push(...latencies);
    result.missed += SUBSCRIBERS - received;
    result.firsts.push(latencies[0] ?? NaN);
    result.lasts.push(latencies.at(-1) ?? NaN);
    result.rates.push(received / ((latencies.at(-1) ?? NaN) / 1000));
  }
  result.latencies.sort((a, b) => a - b);
  await Promise.all(clients.map((client) => client.dispose()));
  return result;
}

/** The baseline server (this file run with `baseline-server`): graphql-ws on `ws`, one subscription fed by an EventEmitter. */
function baselineServer(): void {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const OpsStats = new GraphQLObjectType({
    name: 'OpsStats',
    fields: Object.fromEntries(['dlqCount', 'queued', 'active', 'failedLastHour'].map((field) => [field, { type: new GraphQLNonNull(GraphQLInt) }])),
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLBoolean, resolve: () => true } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        opsStatsChanged: {
          type: new GraphQLNonNull(OpsStats),
          subscribe: async function* () {
            for await (const [stats] of on(events, 'stats')) yield stats;
          },
          resolve: (stats: Stats) => stats,
        },
      },
    }),
  });
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/graphql' });
  useServer({ schema }, wss);
  wss.on('listening', () => process.send!({ port: (wss.address() as { port: number }).port }));
  process.on('message', (stats: Stats) => events.emit('stats', stats));
  process.on('disconnect', () => process.exit(0));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  await exited;
  clearTimeout(timer);
}

async function measureBaseline(): Promise<Measured> {
  const child = fork(__filename, ['baseline-server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message: { port: number }) => resolve(message.port));
      child.once('exit', (code) => reject(new Error(`baseline server exited with ${code}`)));
    });
    return await measure('baseline: bare graphql-ws, EventEmitter', `ws://127.0.0.1:${port}/graphql`, {}, async (n) => {
      const startedAt = performance.now();
      child.send({ dlqCount: n, queued: 0, active: 0, failedLastHour: n } satisfies Stats);
      return startedAt;
    });
  } finally {
    await stopChild(child);
  }
}

async function measurePebble(ownerUrl: string, logger: pino.Logger): Promise<Measured> {
  const config = parseConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn', JWT_SECRET, JWT_ACCESS_TTL_SECONDS: '3600' });
  const owner = await Database.connect(ownerUrl, 1);
  const tenants = new TenantService(owner);
  const slug = `fanout-${Date.now().toString(36)}`;
  const tenant = await tenants.createTenant({ slug, name: 'Fan-out bench' });
  const email = `bench@${slug}.example`;
  await tenants.createUser(TenantService.operatorAuth(tenant, 'bench'), { email, password: 'bench-password', role: 'admin' });
  const db = await Database.connect(appDatabaseUrl(ownerUrl, undefined, undefined), 2, 2);
  const services = createServices(config, JWT_SECRET, db, logger);
  const { access } = await services.auth.login({ email, password: 'bench-password' }, 'bench');

  const port = await freePort();
  // `pebble serve` from this build (dist/bench/.. → dist/src/main.js); its log lines go to stderr, beside the table's stdout.
  const api = spawn(process.execPath, [path.join(__dirname, '../src/main.js'), 'serve'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      // `error`: without CHROMA_URL the api warns once that it cannot check the search index, which is beside the point here.
      LOG_LEVEL: 'error',
      JWT_SECRET,
      DATABASE_URL: ownerUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      ...(process.env.CHROMA_URL ? { CHROMA_URL: process.env.CHROMA_URL } : {}),
    },
    stdio: ['ignore', process.stderr, 'inherit'],
  });
  try {
    for (let attempt = 0; ; attempt++) {
      if (api.exitCode !== null) throw new Error(`pebble serve exited with ${api.exitCode}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.ok, () => false);
      if (ready) break;
      if (attempt > 300) throw new Error('pebble serve did not become ready in 30 s');
      await sleep(100);
    }
    return await measure('Pebble: `pebble serve`, SyncError commit → NOTIFY → LiveFeed', `ws://127.0.0.1:${port}/graphql`, { authorization: `Bearer ${access}` }, async () => {
      await services.deadLetters.record({
        queue: 'email_processing',
        data: { tenantId: tenant.id, correlationId: `bench-${randomUUID()}` },
        output: { message: 'bench: classifier unavailable', stack: 'ClassifierError: bench', jobId: randomUUID(), attempt: 4 },
      });
      // record() resolves right after its transaction committed; Postgres delivered the NOTIFY at that commit.
      return performance.now();
    });
  } finally {
    await stopChild(api);
    await services.close();
    // record() queued an index_activity job per dead letter; no worker ran here.
    await owner.query(`delete from ${BOSS_SCHEMA}.job where data->>'tenantId' = ?`, [tenant.id]);
    await owner.query('delete from tenants where id = ?', [tenant.id]);
    await db.close();
    await owner.close();
  }
}

function row(measured: Measured, baseline?: Measured): string {
  const { latencies, rates, firsts, lasts } = measured;
  const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 0.5);
  const p99 = percentile(latencies, 0.99);
  return [
    measured.name,
    percentile(latencies, 0.5).toFixed(1),
    percentile(latencies, 0.9).toFixed(1),
    p99.toFixed(1),
    latencies.at(-1)!.toFixed(1),
    baseline ? (p99 / percentile(baseline.latencies, 0.99)).toFixed(2) : '1.00',
    median(firsts).toFixed(1),
    median(lasts).toFixed(1),
    Math.round(median(rates)).toString(),
    String(measured.missed),
    measured.openSeconds.toFixed(1),
  ].join(' | ');
}

async function main(): Promise<void> {
  const ownerUrl = process.env.DATABASE_URL ?? DEFAULT_LOCAL_URL.replace(/\/pebble$/, '/pebble_bench');
  // `error`: every dead letter this bench commits would otherwise log a warning.
  const logger = pino({ level: 'error' });
  await ensureDatabase(ownerUrl, logger);
  await migrate(ownerUrl, undefined, logger);
  const out = (line: string) => process.stdout.write(`${line}\n`);

  const baseline = await measureBaseline();
  const pebble = await measurePebble(ownerUrl, logger);

  out(`\n${SUBSCRIBERS} subscribers of one tenant, ${ROUNDS} changes ${GAP_MS} ms apart after warm-up, Node ${process.version}, ${cpus().length} cores shared by clients, server and Postgres\n`);
  out('| server | p50 ms | p90 ms | p99 ms | max ms | p99 vs baseline | first receipt ms (median) | last receipt ms (median) | messages/s (median round) | missed | sockets opened in s |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  out(`| ${row(baseline)} |`);
  out(`| ${row(pebble, baseline)} |`);
  const p99 = percentile(pebble.latencies, 0.99);
  out(`\ntarget p99 ≤ ${TARGET_P99_MS} ms for ${SUBSCRIBERS} subscribers: ${p99 <= TARGET_P99_MS && pebble.missed === 0 ? 'met' : 'NOT met'} (p99 ${p99.toFixed(1)} ms, ${pebble.missed} missed)`);
}

if (process.argv[2] === 'baseline-server') {
  baselineServer();
} else {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
