import type { Client } from 'graphql-ws';
import { callerFactory, type Caller } from '../factories';
import { freePort } from '../setup/global-setup';
import { createTestEnv, TEST_JWT_SECRET, type TestEnv } from '../setup/test-env';
import { eventually } from '../setup/worker';
import { openSocket, OPS_STATS_CHANGED, record, sleep, type Recording, type Result } from '../subscriptions/live';
import { apiReady, buildPebble, ready, startPebble, type PebbleBuild, type PebbleProcess } from './pebble-processes';

const UNIQUE = 900;
/** One duplicate (same Message-ID) after every 9th original: 100 duplicates, 10 % of the 1,000 emails. */
const DUPLICATE_EVERY = 9;
/** Originals whose card the test's trigger refuses until it is dropped: they fail every attempt and dead-letter. */
const POISONED = new Set([50, 157, 264, 371, 478, 585, 692, 799]);
const POISON_MARK = '[scale-poison]';
const IN_FLIGHT = 16;
const SUBJECTS = ['Order %n is late', 'Invoice %n is overdue', 'Request for a quote: %n units', 'Login does not work (case %n)', 'Very unhappy with delivery %n'];

interface Submission {
  /** The original's number: a duplicate carries its original's. */
  n: number;
  /** 0 = api #1, 1 = api #2. */
  api: 0 | 1;
  duplicate: boolean;
  body: { subject: string; from: string; body: string; message_id: string };
}

/** The 1,000 emails in sending order: originals alternate between the apis, a duplicate goes through the other api than its original. */
function plan(run: string): Submission[] {
  const email = (n: number) => ({
    subject: POISONED.has(n) ? `${POISON_MARK} Order ${n} keeps failing` : SUBJECTS[n % SUBJECTS.length]!.replace('%n', String(n)),
    from: `Customer ${n % 40} <customer${n % 40}@acme${n % 5}.example>`,
    body: `Hello,\nabout case ${n}: please call back.\nRegards`,
    message_id: `<scale-${run}-${n}@mail.example>`,
  });
  // Even originals through api #2, so the very first email (the probe) crosses processes.
  const apiOf = (n: number): 0 | 1 => (n % 2 === 0 ? 1 : 0);
  const list: Submission[] = [];
  for (let n = 0; n < UNIQUE; n++) {
    list.push({ n, api: apiOf(n), duplicate: false, body: email(n) });
    if (n % DUPLICATE_EVERY === DUPLICATE_EVERY - 1) {
      const original = POISONED.has(n - 4) ? n - 5 : n - 4;
      list.push({ n: original, api: apiOf(original) === 0 ? 1 : 0, duplicate: true, body: email(original) });
    }
  }
  return list;
}

/** The app role's URL under another `application_name`, so Postgres can tell which process wrote what. */
function appUrlAs(appUrl: string, name: string): string {
  const url = new URL(appUrl);
  url.searchParams.set('application_name', name);
  return url.toString();
}

const dlqCountOf = (message: Result) => (message.data?.opsStatsChanged as { dlqCount: number } | undefined)?.dlqCount;

/**
 * Issue 7, scale-out proof: 2 `pebble serve` and 2 `pebble worker` processes, built from the current sources, on one
 * Postgres. Email goes in through both apis; the workers race for the jobs; a subscriber on api #1 hears what the
 * workers and api #2 did, through LISTEN/NOTIFY only.
 */
describe('two api and two worker processes on one Postgres (issue 7)', () => {
  let build: PebbleBuild;
  let env: TestEnv;
  let admin: Caller;
  let integration: Caller;
  let origins: [string, string];
  const processes: PebbleProcess[] = [];
  let socket: Client | undefined;
  let cards: Recording;
  let stats: Recording;
  const submitted = new Map<string, Submission>();
  const killAll = () => processes.forEach(({ child }) => child.kill('SIGKILL'));

  const count = async (sql: string, values: unknown[] = [admin.tenant.id]): Promise<number> =>
    Number((await env.ownerDb.query<{ n: string }>(sql, values))[0]!.n);

  const graphqlOnApi2 = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${origins[1]}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.access}` },
      body: JSON.stringify({ query, variables }),
    });
    const answer = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (answer.errors) throw new Error(`api #2 answered errors: ${JSON.stringify(answer.errors)}`);
    return answer.data!;
  };

  const send = async (submission: Submission): Promise<void> => {
    const response = await fetch(`${origins[submission.api]}/api/v1/ingestion/email/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${integration.access}` },
      body: JSON.stringify(submission.body),
    });
    const answer = (await response.json()) as { tracking_id?: string };
    if (response.status !== 202 || !answer.tracking_id) throw new Error(`api #${submission.api + 1} answered ${response.status}: ${JSON.stringify(answer)}`);
    submitted.set(answer.tracking_id, submission);
  };

  /** Every email carded, duplicate or dead, and no email_processing job waiting or running. */
  const settled = async (dead: number) => {
    const [row] = await env.ownerDb.query<{ open: string; dead: string; jobs: string }>(
      `select count(*) filter (where status in ('queued', 'processing')) as open, count(*) filter (where status = 'dead') as dead,
         (select count(*) from pgboss.job where name = 'email_processing' and state in ('created', 'retry', 'active') and data->>'tenantId' = ?) as jobs
       from emails where tenant_id = ?`,
      [admin.tenant.id, admin.tenant.id],
    );
    return Number(row!.open) === 0 && Number(row!.dead) === dead && Number(row!.jobs) === 0;
  };

  beforeAll(async () => {
    process.once('exit', killAll);
    // Both settle before either can fail the hook, so afterAll finds whatever was made.
    const [built, created] = await Promise.allSettled([buildPebble('scale-build-'), createTestEnv()]);
    if (built.status === 'fulfilled') build = built.value;
    if (created.status === 'fulfilled') env = created.value;
    for (const result of [built, created]) if (result.status === 'rejected') throw result.reason;
    admin = await callerFactory(env, 'admin');
    integration = await callerFactory(env, 'integration', admin.tenant);
    // Retries after 1, 2 and 4 s (plus jitter) instead of 5, 10 and 20 s, so the poisoned emails dead-letter quickly.
    await env.ownerDb.query(`update pgboss.queue set retry_delay = 1 where name = 'email_processing'`);
    await env.ownerDb.query(`
      create function scale_refuse_poisoned_card() returns trigger language plpgsql as $$
        begin raise exception 'scale test: card refused for "%"', new.title; end $$;
      create trigger scale_refuse_poisoned_card before insert on cards for each row
        when (new.title like '${POISON_MARK}%') execute function scale_refuse_poisoned_card();
      -- Which process committed each claim: a claim rolled back with its transaction leaves no row here either.
      create table scale_claims (email_id uuid not null, backend text not null);
      create function scale_record_claim() returns trigger language plpgsql security definer as $$
        begin insert into scale_claims values (new.email_id, current_setting('application_name')); return null; end $$;
      create trigger scale_record_claim after insert on processed_emails for each row execute function scale_record_claim();`);

    const ports = [await freePort(), await freePort()];
    origins = [`http://127.0.0.1:${ports[0]}`, `http://127.0.0.1:${ports[1]}`];
    const common = (name: string) => ({
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: env.ownerUrl,
      APP_DATABASE_URL: appUrlAs(env.appUrl, name),
      CHROMA_URL: process.env.PEBBLE_TEST_CHROMA_URL,
      // 4 processes share the test server's 100 connections with the other test files' databases.
      DB_POOL_SIZE: '4',
    });
    processes.push(
      startPebble(build, 'api #1', 'serve', { ...common('scale-api-1'), HOST: '127.0.0.1', PORT: String(ports[0]) }),
      startPebble(build, 'api #2', 'serve', { ...common('scale-api-2'), HOST: '127.0.0.1', PORT: String(ports[1]) }),
      startPebble(build, 'worker #1', 'worker', common('scale-worker-1')),
      startPebble(build, 'worker #2', 'worker', common('scale-worker-2')),
    );
    const connected = (name: string) => () =>
      count(`select count(*) as n from pg_stat_activity where datname = current_database() and application_name = ?`, [name]).then((n) => n > 0);
    await Promise.all([
      apiReady(processes[0]!, origins[0]),
      apiReady(processes[1]!, origins[1]),
      ready(processes[2]!, 'connected', connected('scale-worker-1')),
      ready(processes[3]!, 'connected', connected('scale-worker-2')),
    ]);

    // The dashboard's view, on api #1 only.
    socket = openSocket(`${origins[0].replace(/^http/, 'ws')}/graphql`, admin.access).client;
    cards = record(socket, 'subscription { cardCreated { id } }');
    stats = record(socket, OPS_STATS_CHANGED);
    // api #1 holds the subscriptions once a hand-made ops notification reaches them (the first figures are always sent).
    await eventually(
      'the opsStatsChanged subscription on api #1',
      async () => {
        if (stats.messages.length > 0) return true;
        await env.ownerDb.query(`select pg_notify('pebble_ops', ?)`, [JSON.stringify({ topic: 'queue', tenantId: admin.tenant.id })]);
        return false;
      },
      10_000,
    );
  }, 120_000);

  afterAll(async () => {
    process.off('exit', killAll);
    await socket?.dispose();
    await Promise.all(processes.map((p) => p.kill()));
    await env?.close();
    build?.remove();
  });

  it('turns 1,000 emails sent through both apis into one card per unique email; the poisoned ones dead-letter after 4 attempts', async () => {
    const [probe, ...rest] = plan(Date.now().toString(36));
    // The first email alone, through api #2: its card must reach the subscriber on api #1 before the load starts.
    await send(probe!);
    const [probeId] = [...submitted.keys()];
    const [{ card_id: probeCard }] = await eventually('the probe email to be carded', () =>
      env.ownerDb.query<{ card_id: string }>(`select card_id from emails where id = ? and status = 'carded'`, [probeId]).then((rows) => rows.length > 0 && rows),
    );
    await cards.waitFor('the probe card on api #1', (m) => (m.data?.cardCreated as { id: string }).id === probeCard, 15_000);

    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < rest.length) await send(rest[next++]!);
      }),
    );
    expect(submitted.size).toBe(1000);
    expect([...submitted.values()].filter((s) => s.duplicate)).toHaveLength(100);
    const viaApi2 = [...submitted.values()].filter((s) => s.api === 1).length;
    expect(viaApi2).toBeGreaterThan(450);
    expect(viaApi2).toBeLessThan(550);

    await eventually('the 1,000 emails to settle', () => settled(POISONED.size), 60_000);

    const statuses = await env.ownerDb.query<{ status: string; n: string }>('select status, count(*) as n from emails where tenant_id = ? group by status', [admin.tenant.id]);
    expect(Object.fromEntries(statuses.map(({ status, n }) => [status, Number(n)]))).toEqual({ carded: UNIQUE - POISONED.size, duplicate: 100, dead: POISONED.size });
    expect(await count('select count(*) as n from cards where tenant_id = ?')).toBe(UNIQUE - POISONED.size);
    const dead = await env.ownerDb.query<{ email_id: string; attempts: number; error: string }>('select email_id, attempts, error from sync_errors where tenant_id = ?', [admin.tenant.id]);
    expect(dead.map((row) => submitted.get(row.email_id)?.n).sort((a, b) => a! - b!)).toEqual([...POISONED]);
    for (const row of dead) expect(row).toMatchObject({ attempts: 4, error: expect.stringContaining('scale test: card refused') });
    // Recorded by the workers' email_dlq handler; heard by api #1.
    await stats.waitFor(`dlqCount ${POISONED.size} on api #1`, (m) => dlqCountOf(m) === POISONED.size, 10_000);
  }, 90_000);

  it('replays the dead letters through api #2 into exactly one card each: cards = unique emails, one outcome per email', async () => {
    await env.ownerDb.query('drop trigger scale_refuse_poisoned_card on cards');
    const { syncErrors } = (await graphqlOnApi2('{ syncErrors(resolved: false, first: 100) { id emailId } }')) as { syncErrors: { id: string; emailId: string }[] };
    expect(syncErrors).toHaveLength(POISONED.size);
    for (const { id } of syncErrors) await graphqlOnApi2('mutation($id: ID!) { replayDeadLetter(id: $id) { id } }', { id });

    await eventually('the replayed emails to settle', () => settled(0), 30_000);

    const statuses = await env.ownerDb.query<{ status: string; n: string }>('select status, count(*) as n from emails where tenant_id = ? group by status', [admin.tenant.id]);
    expect(Object.fromEntries(statuses.map(({ status, n }) => [status, Number(n)]))).toEqual({ carded: UNIQUE, duplicate: 100 });
    // One card per unique Message-ID, and no other.
    const [cardCounts] = await env.ownerDb.query<{ cards: string; first_emails: string; message_ids: string }>(
      `select count(*) as cards, count(distinct c.first_email_id) as first_emails, count(distinct e.message_id) as message_ids
       from cards c join emails e on e.id = c.first_email_id where c.tenant_id = ?`,
      [admin.tenant.id],
    );
    expect(cardCounts).toEqual({ cards: String(UNIQUE), first_emails: String(UNIQUE), message_ids: String(UNIQUE) });
    const [claims] = await env.ownerDb.query<{ claims: string; emails: string; carded: string }>(
      'select count(*) as claims, count(distinct email_id) as emails, count(card_id) as carded from processed_emails where tenant_id = ?',
      [admin.tenant.id],
    );
    expect(claims).toEqual({ claims: String(UNIQUE), emails: String(UNIQUE), carded: String(UNIQUE) });

    // Each email has exactly one outcome event: no job was processed twice to a visible effect.
    const outcomes = await env.ownerDb.query<{ email_id: string; kinds: string[] }>(
      `select coalesce(payload->>'emailId', entity_id::text) as email_id, array_agg(kind order by kind) as kinds from activity_events
       where tenant_id = ? and kind in ('card.created', 'email.threaded', 'duplicate.ignored') group by 1`,
      [admin.tenant.id],
    );
    expect(outcomes).toHaveLength(1000);
    expect(outcomes.filter(({ kinds }) => kinds.length !== 1)).toEqual([]);
    expect(new Set(outcomes.map((o) => o.email_id))).toEqual(new Set(submitted.keys()));
    // Per Message-ID: one card.created, and a duplicate.ignored for its second copy, whichever copy won the claim.
    const byMessage = new Map<number, string[]>();
    for (const { email_id, kinds } of outcomes) byMessage.set(submitted.get(email_id)!.n, [...(byMessage.get(submitted.get(email_id)!.n) ?? []), kinds[0]!]);
    expect(byMessage.size).toBe(UNIQUE);
    for (const kinds of byMessage.values()) expect(kinds.sort()).toEqual(kinds.length === 1 ? ['card.created'] : ['card.created', 'duplicate.ignored']);

    const events = await env.ownerDb.query<{ kind: string; n: string }>(
      `select kind, count(*) as n from activity_events where tenant_id = ? and kind like 'sync.%' group by kind`,
      [admin.tenant.id],
    );
    expect(Object.fromEntries(events.map(({ kind, n }) => [kind, Number(n)]))).toEqual({ 'sync.failed': POISONED.size, 'sync.replayed': POISONED.size });
    const jobs = await env.ownerDb.query<{ state: string; n: string }>(
      `select state, count(*) as n from pgboss.job where name = 'email_processing' and data->>'tenantId' = ? group by state`,
      [admin.tenant.id],
    );
    // 1,000 ingested jobs (992 completed, 8 failed for good) and 8 replays, completed.
    expect(Object.fromEntries(jobs.map(({ state, n }) => [state, Number(n)]))).toEqual({ completed: 1000, failed: POISONED.size });
  }, 60_000);

  it("pushes every card to the subscriber on api #1 once, those of api #2's emails included, and the dead-letter count rising and falling", async () => {
    const cardsOfApi2 = await env.ownerDb
      .query<{ id: string; first_email_id: string }>('select id, first_email_id from cards where tenant_id = ?', [admin.tenant.id])
      .then((rows) => ({ all: rows.map((row) => row.id), api2: rows.filter((row) => submitted.get(row.first_email_id)!.api === 1).map((row) => row.id) }));
    const received = () => cards.messages.map((m) => (m.data?.cardCreated as { id: string }).id);
    await eventually('every card on api #1', async () => new Set(received()).size >= UNIQUE, 15_000);
    await sleep(500);

    expect(received()).toHaveLength(UNIQUE);
    expect(new Set(received())).toEqual(new Set(cardsOfApi2.all));
    expect(cardsOfApi2.api2.length).toBeGreaterThan(400);
    expect(cardsOfApi2.api2.every((id) => received().includes(id))).toBe(true);

    await stats.waitFor('dlqCount 0 after the replays', (m) => dlqCountOf(m) === 0 && stats.messages.some((earlier) => dlqCountOf(earlier) === POISONED.size), 10_000);
    const counts = stats.messages.map(dlqCountOf).filter((n): n is number => n !== undefined);
    const peak = counts.indexOf(POISONED.size);
    const rising = counts.slice(0, peak + 1);
    const falling = counts.slice(peak);
    // Raised by the workers' dead letters, one at a time or coalesced; lowered by api #2's replays.
    expect(rising).toEqual([...rising].sort((a, b) => a - b));
    expect(falling).toEqual([...falling].sort((a, b) => b - a));
    expect(falling.at(-1)).toBe(0);
    expect(Math.max(...counts)).toBe(POISONED.size);
  }, 30_000);

  it('shares the jobs between both worker processes', async () => {
    const rows = await env.ownerDb.query<{ backend: string; n: string }>('select backend, count(*) as n from scale_claims group by backend order by backend');
    const byWorker = Object.fromEntries(rows.map(({ backend, n }) => [backend, Number(n)]));
    expect(Object.keys(byWorker)).toEqual(['scale-worker-1', 'scale-worker-2']);
    expect(byWorker['scale-worker-1']! + byWorker['scale-worker-2']!).toBe(UNIQUE);
    expect(Math.min(...Object.values(byWorker))).toBeGreaterThan(0);
  });
});
