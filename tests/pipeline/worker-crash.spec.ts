import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { callerFactory, type Caller } from '../factories';
import { emailFactory, ingest } from '../ingestion/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually } from '../setup/worker';

const ROOT = path.resolve(__dirname, '../..');

/**
 * A real `pebble worker` process, killed with SIGKILL while its transaction has inserted the card but not
 * committed. Built from the current sources into a scratch directory, so the test never runs a stale dist/.
 */
describe('a worker killed in the middle of a job (US-BKP-004)', () => {
  let env: TestEnv;
  let caller: Caller;
  let build: string;
  const workers: ChildProcess[] = [];

  const startWorker = (): ChildProcess => {
    const child = spawn(process.execPath, [path.join(build, 'src/main.js'), 'worker'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: env.ownerUrl,
        PEBBLE_HOME: path.join(build, 'home'),
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        QUEUE_MAINTENANCE_SECONDS: '1',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    workers.push(child);
    return child;
  };

  beforeAll(async () => {
    // Inside the checkout, so the build resolves node_modules like dist/ does.
    mkdirSync(path.join(ROOT, '.pebble'), { recursive: true });
    build = mkdtempSync(path.join(ROOT, '.pebble', 'worker-build-'));
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', build], { cwd: ROOT });
    env = await createTestEnv();
    caller = await callerFactory(env, 'integration');
    // Expire a stuck attempt after 3 s and retry after 1 s, instead of the production 5 minutes and 5 s.
    await env.ownerDb.query(`update pgboss.queue set expire_seconds = 3, retry_delay = 1 where name = 'email_processing'`);
    // Holds the worker's transaction right after its card insert, so the kill lands mid-job.
    await env.ownerDb.query(`
      create function stall_after_card_insert() returns trigger language plpgsql as $$ begin perform pg_sleep(2); return new; end $$;
      create trigger stall_after_card_insert after insert on cards for each row execute function stall_after_card_insert();`);
  }, 180_000);

  afterAll(async () => {
    for (const child of workers) child.kill('SIGKILL');
    await env?.close();
    if (build) rmSync(build, { recursive: true, force: true });
  });

  it('completes the job after a restart, with exactly one card', async () => {
    const first = startWorker();
    const response = await ingest(env, caller.access, emailFactory());
    const trackingId: string = response.json().tracking_id;

    await eventually('the worker to be inside its card transaction', () =>
      env.ownerDb
        .query<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and query like 'insert into cards%' and state = 'active'`)
        .then(([row]) => Number(row.n) > 0),
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    await env.ownerDb.query('drop trigger stall_after_card_insert on cards');

    // Nothing of the killed attempt survives: its transaction never committed.
    await eventually('the killed transaction to be rolled back', () =>
      env.ownerDb.query<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and query like 'insert into cards%' and state = 'active'`).then(([row]) => Number(row.n) === 0),
    );
    expect(await env.ownerDb.query('select id from cards where tenant_id = ?', [caller.tenant.id])).toHaveLength(0);

    startWorker();
    const [email] = await eventually(
      'the job to complete after the restart',
      () => env.ownerDb.query<{ status: string; card_id: string }>('select status, card_id from emails where id = ?', [trackingId]).then((rows) => rows[0]?.status === 'carded' && rows),
      40_000,
    );

    const cards = await env.ownerDb.query<{ id: string }>('select id from cards where tenant_id = ?', [caller.tenant.id]);
    expect(cards).toEqual([{ id: email.card_id }]);
    const [job] = await env.ownerDb.query<{ state: string; retry_count: number }>(`select state, retry_count from pgboss.job where id = ?`, [trackingId]);
    expect(job.state).toBe('completed');
    expect(job.retry_count).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
