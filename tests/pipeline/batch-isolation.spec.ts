import { callerFactory } from '../factories';
import { emailFactory, ingest } from '../ingestion/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually, startTestWorker, type TestWorker } from '../setup/worker';

describe('one fetch, one bad email (US-BKP-004)', () => {
  let env: TestEnv;
  let worker: TestWorker | undefined;

  beforeAll(async () => {
    env = await createTestEnv();
    // A card insert that fails for one subject only: the tenant's shared transaction fails with it.
    await env.ownerDb.query(`
      create function refuse_poison() returns trigger language plpgsql as $$
      begin if new.title = 'poison' then raise exception 'poisoned card'; end if; return new; end $$;
      create trigger refuse_poison before insert on cards for each row execute function refuse_poison();`);
  });
  afterAll(async () => {
    await worker?.stop();
    await env.close();
  });

  it('cards the good emails of the fetch one by one when their shared transaction fails, and fails only the bad one', async () => {
    const caller = await callerFactory(env, 'integration');
    const sent: string[] = [];
    for (const subject of ['good one', 'poison', 'good two']) {
      sent.push((await ingest(env, caller.access, emailFactory({ subject }))).json().tracking_id as string);
    }
    worker = await startTestWorker(env);

    const statusOf = async () =>
      new Map((await env.ownerDb.query<{ id: string; status: string; attempts: number }>('select id, status, attempts from emails where tenant_id = ?', [caller.tenant.id])).map((row) => [row.id, row]));
    const settled = await eventually('the good emails to be carded and the bad one to fail once', async () => {
      const rows = await statusOf();
      return rows.get(sent[0])?.status === 'carded' && rows.get(sent[2])?.status === 'carded' && (rows.get(sent[1])?.attempts ?? 0) >= 1 && rows;
    });

    expect(settled.get(sent[1])?.status).not.toBe('carded');
    expect(settled.get(sent[0])?.attempts).toBe(0);
    expect(settled.get(sent[2])?.attempts).toBe(0);
    const cards = await env.ownerDb.query<{ title: string }>('select title from cards where tenant_id = ? order by title', [caller.tenant.id]);
    expect(cards).toEqual([{ title: 'good one' }, { title: 'good two' }]);
  });
});
