import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import pino from 'pino';
import { startWorkers } from '../../jobs/registry';
import { RetentionService } from '../../src/ops/retention.service';
import { APP_ROLE } from '../../src/platform/db/migrate';
import { startBoss } from '../../src/platform/queue/boss';
import { rest } from '../auth/http';
import { callerFactory, type Caller } from '../factories';
import { emailFactory, ingest } from '../ingestion/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually } from '../setup/worker';

const HOUR = 60 * 60;
const DAY = 24 * HOUR;

/** An Idempotency-Key row of the tenant, claimed `ageSeconds` ago. */
async function keyRow(env: TestEnv, tenantId: string, ageSeconds: number): Promise<string> {
  const id = randomUUID();
  await env.ownerDb.query(
    `insert into ingestion_keys (id, tenant_id, source_system, correlation_id, key, email_id, created_at)
     values (?, ?, 'api', 'test', ?, ?, now() - make_interval(secs => ?))`,
    [id, tenantId, `key-${id}`, randomUUID(), ageSeconds],
  );
  return id;
}

/** A refresh token row of the caller's user that expires `expiresInSeconds` from now (negative: in the past). */
async function tokenRow(env: TestEnv, caller: Caller, expiresInSeconds: number, revoked: boolean): Promise<string> {
  const id = randomUUID();
  await env.ownerDb.query(
    `insert into refresh_tokens (id, tenant_id, source_system, correlation_id, family_id, user_id, expires_at, revoked_at, revoked_reason, replaced_by)
     values (?, ?, 'api', 'test', ?, ?, now() + make_interval(secs => ?), case when ? then now() end, case when ? then 'rotated' end, case when ? then ?::uuid end)`,
    [id, caller.tenant.id, randomUUID(), caller.user.id, expiresInSeconds, revoked, revoked, revoked, randomUUID()],
  );
  return id;
}

/** A login_throttle row whose window started `windowAgeSeconds` ago, locked for `lockedForSeconds` more (negative: lock over). */
async function throttleRow(env: TestEnv, windowAgeSeconds: number, lockedForSeconds: number | null): Promise<string> {
  const email = `${randomUUID()}@throttle.example`;
  await env.ownerDb.query(
    `insert into login_throttle (email, failures, window_started_at, locked_until)
     values (?, 5, now() - make_interval(secs => ?), now() + make_interval(secs => ?))`,
    [email, windowAgeSeconds, lockedForSeconds],
  );
  return email;
}

/** A thread reference of the tenant, written `ageSeconds` ago, to an original that has not arrived. */
async function referenceRow(env: TestEnv, tenantId: string, ageSeconds: number): Promise<string> {
  const id = randomUUID();
  await env.ownerDb.query(
    `insert into thread_references (id, tenant_id, source_system, correlation_id, referenced_hash, card_id, created_at)
     values (?, ?, 'email-pipeline', 'test', md5(?), ?, now() - make_interval(secs => ?))`,
    [id, tenantId, id, randomUUID(), ageSeconds],
  );
  return id;
}

const ids = (rows: { id: string }[]) => rows.map((row) => row.id).sort();

describe(RetentionService.name, () => {
  let env: TestEnv;
  let a: Caller;
  let b: Caller;

  beforeAll(async () => {
    env = await createTestEnv();
    [a, b] = await Promise.all([callerFactory(env, 'integration'), callerFactory(env, 'member')]);
  });
  afterAll(() => env.close());

  it('deletes, in every tenant, the rows past their window and keeps every row inside it', async () => {
    const window = env.config.LOGIN_WINDOW_SECONDS;
    const tenants = [a.tenant.id, b.tenant.id];
    const loginTokens = ids(await env.ownerDb.query<{ id: string }>('select id from refresh_tokens where tenant_id in (?, ?)', tenants));
    const seeded = { gone: { keys: [] as string[], tokens: [] as string[], references: [] as string[] }, kept: { keys: [] as string[], tokens: [] as string[], references: [] as string[] } };
    const referenceDays = env.config.THREAD_REFERENCE_RETENTION_DAYS;
    for (const caller of [a, b]) {
      seeded.gone.references.push(await referenceRow(env, caller.tenant.id, referenceDays * DAY + 60));
      seeded.kept.references.push(await referenceRow(env, caller.tenant.id, referenceDays * DAY - 60));
      seeded.gone.keys.push(await keyRow(env, caller.tenant.id, DAY + 60));
      seeded.kept.keys.push(await keyRow(env, caller.tenant.id, DAY - 60));
      // Past their expiry by more than the grace hour, revoked (rotated) or not.
      seeded.gone.tokens.push(await tokenRow(env, caller, -2 * DAY, false), await tokenRow(env, caller, -2 * DAY, true));
      // Expired minutes ago (an api whose clock is behind may still accept it), and rotated but not yet expired.
      seeded.kept.tokens.push(await tokenRow(env, caller, -10 * 60, false), await tokenRow(env, caller, 6 * DAY, true));
    }
    const windowOver = await throttleRow(env, window + 60, null);
    const lockOver = await throttleRow(env, 2 * window + 60, -1);
    const inWindow = await throttleRow(env, 60, null);
    const stillLocked = await throttleRow(env, window + 60, 5 * 60);

    const pruned = await env.services.retention.pruneExpired();

    expect(pruned).toEqual({ ingestion_keys: 2, refresh_tokens: 4, login_throttle: 2, thread_references: 2 });
    expect(ids(await env.ownerDb.query('select id from ingestion_keys where tenant_id in (?, ?)', tenants))).toEqual([...seeded.kept.keys].sort());
    expect(ids(await env.ownerDb.query('select id from refresh_tokens where tenant_id in (?, ?)', tenants))).toEqual([...loginTokens, ...seeded.kept.tokens].sort());
    const throttled = await env.ownerDb.query<{ email: string }>('select email from login_throttle where email in (?, ?, ?, ?)', [windowOver, lockOver, inWindow, stillLocked]);
    expect(throttled.map((row) => row.email).sort()).toEqual([inWindow, stillLocked].sort());
    expect(ids(await env.ownerDb.query('select id from thread_references where tenant_id in (?, ?)', tenants))).toEqual([...seeded.kept.references].sort());
    expect(await env.services.retention.pruneExpired()).toEqual({ ingestion_keys: 0, refresh_tokens: 0, login_throttle: 0, thread_references: 0 });
  });

  it('leaves reuse detection and Idempotency-Key replays working: a rotated token still revokes its session, a key still replays', async () => {
    const caller = await callerFactory(env, 'integration');
    const rotated = await rest(env, 'POST', '/api/v1/token/refresh/', { body: { refresh: caller.refresh } });
    expect(rotated.statusCode).toBe(200);
    const key = `order-${randomUUID()}`;
    const first = await ingest(env, caller.access, emailFactory(), { 'idempotency-key': key });
    expect(first.statusCode).toBe(202);

    await env.services.retention.pruneExpired();

    const reused = await rest(env, 'POST', '/api/v1/token/refresh/', { body: { refresh: caller.refresh } });
    expect(reused.statusCode).toBe(401);
    expect(reused.json().code).toBe('TOKEN_REUSED');
    const again = await ingest(env, caller.access, emailFactory(), { 'idempotency-key': key });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().tracking_id).toBe(first.json().tracking_id);
  });

  it('works through a backlog larger than one chunk, chunk after chunk', async () => {
    const retention = new RetentionService(env.db, { loginWindowSeconds: env.config.LOGIN_WINDOW_SECONDS, threadReferenceDays: 30, chunkRows: 2 });
    for (const caller of [a, b, a, b, a]) await keyRow(env, caller.tenant.id, 2 * DAY);
    const fresh = await keyRow(env, a.tenant.id, HOUR);

    expect(await retention.pruneExpired()).toEqual({ ingestion_keys: 5, refresh_tokens: 0, login_throttle: 0, thread_references: 0 });
    expect(ids(await env.ownerDb.query("select id from ingestion_keys where tenant_id = ? and created_at < now() - interval '1 day'", [a.tenant.id]))).toEqual([]);
    expect(await env.ownerDb.query('select id from ingestion_keys where id = ?', [fresh])).toEqual([{ id: fresh }]);
  });

  it(`runs for ${APP_ROLE} (not for PUBLIC) and refuses a negative window`, async () => {
    const [grants] = await env.ownerDb.query<{ app: boolean; public: boolean }>(
      `select has_function_privilege(?, 'prune_expired(integer, integer, integer, integer, integer)', 'execute') as app,
              has_function_privilege('public', 'prune_expired(integer, integer, integer, integer, integer)', 'execute') as public`,
      [APP_ROLE],
    );
    expect(grants).toEqual({ app: true, public: false });
    await expect(env.db.query('select * from prune_expired(?, ?, ?, ?, ?)', [-1, HOUR, HOUR, DAY, 100])).rejects.toThrow(/windows must be 0 or more seconds/);
    await expect(env.db.query('select * from prune_expired(?, ?, ?, ?, ?)', [HOUR, HOUR, HOUR, -1, 100])).rejects.toThrow(/windows must be 0 or more seconds/);
  });
});

describe('prune_expired job', () => {
  let env: TestEnv;
  const bosses: PgBoss[] = [];
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await Promise.all(bosses.map((boss) => boss.stop({ graceful: false, wait: true, close: true })));
    await env.close();
  });

  async function worker(pruneSchedule?: { cron: string }): Promise<PgBoss> {
    const boss = await startBoss({ connectionString: env.appUrl, logger, worker: true, maintenanceSeconds: 1 });
    bosses.push(boss);
    await startWorkers(boss, env.services, logger, { batchSize: 10, pruneSchedule });
    return boss;
  }

  const jobState = async (id: string) =>
    (await env.ownerDb.query<{ state: string; retry_count: number }>(`select state, retry_count from pgboss.job where name = 'prune_expired' and id = ?`, [id]))[0];

  it('deletes the expired rows of every tenant through a real worker and logs one line with the counts', async () => {
    const [a, b] = await Promise.all([callerFactory(env, 'integration'), callerFactory(env, 'integration')]);
    await keyRow(env, a.tenant.id, 2 * DAY);
    await keyRow(env, b.tenant.id, 2 * DAY);
    const boss = await worker();

    const jobId = (await boss.send('prune_expired', { correlationId: 'test-prune' }))!;

    await eventually('the prune to complete', async () => (await jobState(jobId))?.state === 'completed');
    expect(await env.ownerDb.query('select id from ingestion_keys where tenant_id in (?, ?)', [a.tenant.id, b.tenant.id])).toEqual([]);
    expect(lines.filter((line) => line.msg === 'expired rows pruned')).toEqual([
      expect.objectContaining({ level: 30, job_id: jobId, correlation_id: 'test-prune', ingestion_keys: 2, refresh_tokens: 0, login_throttle: 0, thread_references: 0, ms: expect.any(Number) }),
    ]);
  });

  it('fails a malformed job at once instead of retrying it', async () => {
    const boss = bosses[0] ?? (await worker());

    const jobId = (await boss.send('prune_expired', { correlationId: '' }))!;

    const job = await eventually('the job to fail', async () => {
      const found = await jobState(jobId);
      return found?.state === 'failed' && found;
    });
    expect(job.retry_count).toBe(0);
  });

  it('registers the daily schedule once, in UTC, when three workers start at the same time', async () => {
    expect(await env.ownerDb.query(`select name from pgboss.schedule where name = 'prune_expired'`)).toEqual([]);

    await Promise.all([1, 2, 3].map(() => worker({ cron: env.config.PRUNE_CRON })));

    const schedules = await env.ownerDb.query(`select name, cron, timezone, data from pgboss.schedule where name = 'prune_expired'`);
    expect(schedules).toEqual([{ name: 'prune_expired', cron: '17 3 * * *', timezone: 'UTC', data: { correlationId: 'schedule:prune_expired' } }]);
  });
});
