import { RecordService } from '../../src/records/record.service';
import { callerFactory } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { companiesOf, companyRecordFactory, indexedRefs, indexJobs, postRecords, recordEvents, recordFactory } from './factories';

describe(`${RecordService.name}: search indexing and bulk writes`, () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.close());

  it('queues every new record, company and record.upserted event for indexing in the same transaction', async () => {
    const caller = await callerFactory(env, 'integration');

    const response = await postRecords(env, caller.access, { records: [companyRecordFactory({ external_id: 'IDX-1' }), recordFactory({ company_external_id: 'IDX-1' })] });

    expect(response.statusCode).toBe(200);
    const [accountId, contactId] = response.json().stored.map((item: { id: string }) => item.id);
    const [company] = await companiesOf(env, caller.tenant.id);
    const events = [...(await recordEvents(env, accountId)), ...(await recordEvents(env, contactId))];
    expect((await indexedRefs(env, caller.tenant.id)).sort()).toEqual(
      [`record:${accountId}`, `record:${contactId}`, `company:${company.id}`, ...events.map((event) => `activity:${event.id}`)].sort(),
    );
    const [job] = await env.ownerDb.query<{ data: Record<string, unknown> }>(`select data from pgboss.job where name = 'index_activity' and data->>'tenantId' = ?`, [
      caller.tenant.id,
    ]);
    expect(job.data).toMatchObject({ tenantId: caller.tenant.id, correlationId: response.headers['x-correlation-id'] });
  });

  it('queues only what changed, and nothing for an unchanged upsert', async () => {
    const caller = await callerFactory(env, 'integration');
    const kept = recordFactory();
    const changed = recordFactory();
    const first = (await postRecords(env, caller.access, { records: [kept, changed] })).json().stored;
    const before = await indexJobs(env, caller.tenant.id);
    expect(before).toHaveLength(1);

    await postRecords(env, caller.access, { records: [kept, changed] });
    expect(await indexJobs(env, caller.tenant.id)).toEqual(before);

    await postRecords(env, caller.access, { records: [kept, { ...changed, title: 'Renamed' }] });
    const jobs = await indexJobs(env, caller.tenant.id);
    const [, event] = await recordEvents(env, first[1].id);
    expect(jobs).toHaveLength(2);
    expect(jobs[1].sort()).toEqual([`record:${first[1].id}`, `activity:${event.id}`].sort());
  });

  it('leaves no records, companies, events or index jobs behind when the transaction fails at commit', async () => {
    const caller = await callerFactory(env, 'integration');
    // Fires at commit, after the index jobs were written: only a shared transaction takes them back too.
    await env.ownerDb.query(`
      create function fail_doomed_record() returns trigger language plpgsql as $$
      begin
        if new.title = 'doomed' then raise exception 'forced failure for %', new.external_id; end if;
        return null;
      end $$;
      create constraint trigger business_records_doomed after insert on business_records
        deferrable initially deferred for each row execute function fail_doomed_record();
    `);
    try {
      const response = await postRecords(env, caller.access, { records: [companyRecordFactory(), recordFactory({ title: 'doomed' })] });

      expect(response.statusCode).toBe(500);
      expect(await indexedRefs(env, caller.tenant.id)).toEqual([]);
      expect(await companiesOf(env, caller.tenant.id)).toEqual([]);
      const counts = await env.ownerDb.query<{ records: string; events: string }>(
        `select (select count(*) from business_records where tenant_id = ?) as records, (select count(*) from activity_events where tenant_id = ?) as events`,
        [caller.tenant.id, caller.tenant.id],
      );
      expect(counts).toEqual([{ records: '0', events: '0' }]);

      // The same call without the doomed record goes through, jobs and all: the trigger was the only obstacle.
      const retry = await postRecords(env, caller.access, { records: [companyRecordFactory(), recordFactory()] });
      expect(retry.statusCode).toBe(200);
      expect(await indexedRefs(env, caller.tenant.id)).not.toEqual([]);
    } finally {
      await env.ownerDb.query('drop trigger business_records_doomed on business_records; drop function fail_doomed_record();');
    }
  });

  it('stores no records, companies or events when their index jobs cannot be written', async () => {
    const caller = await callerFactory(env, 'integration');
    await env.ownerDb.query(`
      create function fail_index_job() returns trigger language plpgsql as $$
      begin raise exception 'forced failure of index job %', new.id; end $$;
      create trigger job_fails after insert on pgboss.job for each row
        when (new.name = 'index_activity' and new.data->>'tenantId' = '${caller.tenant.id}') execute function fail_index_job();
    `);
    try {
      const response = await postRecords(env, caller.access, { records: [companyRecordFactory(), recordFactory()] });

      expect(response.statusCode).toBe(500);
      expect(await companiesOf(env, caller.tenant.id)).toEqual([]);
      const counts = await env.ownerDb.query<{ records: string; events: string }>(
        `select (select count(*) from business_records where tenant_id = ?) as records, (select count(*) from activity_events where tenant_id = ?) as events`,
        [caller.tenant.id, caller.tenant.id],
      );
      expect(counts).toEqual([{ records: '0', events: '0' }]);
    } finally {
      await env.ownerDb.query('drop trigger job_fails on pgboss.job; drop function fail_index_job();');
    }
  });

  it('upserts 1,000 records in one call, and the same 1,000 again as unchanged', async () => {
    const caller = await callerFactory(env, 'integration');
    const records = Array.from({ length: 1000 }, (_, i) =>
      i % 100 === 0
        ? companyRecordFactory({ external_id: `BULK-${i}` })
        : recordFactory({ kind: i % 2 ? 'contact' : 'order', company_external_id: `BULK-${i - (i % 100)}`, attributes: { n: i, tags: ['a', 'b'], nested: { i } } }),
    );

    const started = performance.now();
    const created = await postRecords(env, caller.access, { records });
    const createdMs = performance.now() - started;
    const again = await postRecords(env, caller.access, { records });
    const unchangedMs = performance.now() - started - createdMs;

    expect(created.statusCode).toBe(200);
    expect(created.json().stored).toHaveLength(1000);
    expect(created.json().stored.every((item: { status: string }) => item.status === 'created')).toBe(true);
    expect(again.json().stored.every((item: { status: string }) => item.status === 'unchanged')).toBe(true);
    const [row] = await env.ownerDb.query<{ records: string; linked: string; events: string }>(
      `select count(*) as records, count(company_id) as linked, (select count(*) from activity_events where tenant_id = ?) as events
       from business_records where tenant_id = ?`,
      [caller.tenant.id, caller.tenant.id],
    );
    expect(row).toEqual({ records: '1000', linked: '1000', events: '1000' });
    expect(await companiesOf(env, caller.tenant.id)).toHaveLength(10);
    // 1,000 records, 10 companies and 1,000 events, in jobs of at most 500 refs.
    expect(await indexedRefs(env, caller.tenant.id)).toHaveLength(2010);
    // Generous bounds for a loaded CI machine; the point is a fixed number of statements, not 1,000 round trips.
    expect(createdMs).toBeLessThan(5000);
    expect(unchangedMs).toBeLessThan(5000);
  });
});
