import { randomUUID } from 'node:crypto';
import { RecordService } from '../../src/records/record.service';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { companiesOf, companyRecordFactory, postRecords, recordEvents, recordFactory, storedRecord, type RecordBody } from './factories';

describe(`${RecordService.name}: company records and links`, () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.close());

  /** A tenant of its own per test, so its companies are exactly those the test made. */
  async function freshCaller(): Promise<Caller> {
    return callerFactory(env, 'integration');
  }

  async function upsert(caller: Caller, records: RecordBody[]): Promise<{ index: number; id: string; status: string }[]> {
    const response = await postRecords(env, caller.access, { records });
    expect(response.statusCode).toBe(200);
    return response.json().stored;
  }

  it('creates the Company of a new company record and links the record to it', async () => {
    const caller = await freshCaller();
    const account = companyRecordFactory({ title: 'Acme GmbH', attributes: { website: 'https://www.Acme.example/about', industry: 'tools' } });

    const [stored] = await upsert(caller, [account]);

    const companies = await companiesOf(env, caller.tenant.id);
    expect(companies).toEqual([
      expect.objectContaining({
        name: 'Acme GmbH',
        domain: 'acme.example',
        external_id: account.external_id,
        source_system: 'salesforce',
        attributes: { website: 'https://www.Acme.example/about', industry: 'tools' },
      }),
    ]);
    expect((await storedRecord(env, stored.id)).company_id).toBe(companies[0].id);
    expect((await recordEvents(env, stored.id))[0].payload).toMatchObject({ companyId: companies[0].id, changedFields: ['title', 'attributes', 'company_id'] });
  });

  it('updates that Company when the company record changes, and leaves it alone when it does not', async () => {
    const caller = await freshCaller();
    const account = companyRecordFactory({ title: 'Acme', attributes: { domain: 'acme.example', tier: 'b' } });
    const [first] = await upsert(caller, [account]);
    const [created] = await companiesOf(env, caller.tenant.id);

    const [second] = await upsert(caller, [{ ...account, title: 'Acme Group', attributes: { domain: 'acme-group.example', tier: 'a' } }]);
    const [updated] = await companiesOf(env, caller.tenant.id);
    const [third] = await upsert(caller, [{ ...account, title: 'Acme Group', attributes: { domain: 'acme-group.example', tier: 'a' } }]);

    expect([first.status, second.status, third.status]).toEqual(['created', 'updated', 'unchanged']);
    expect(second.id).toBe(first.id);
    expect(updated).toMatchObject({ id: created.id, name: 'Acme Group', domain: 'acme-group.example', attributes: { domain: 'acme-group.example', tier: 'a' } });
    expect(updated.updated_at).not.toBe(created.updated_at);
    const [unchanged] = await companiesOf(env, caller.tenant.id);
    expect(unchanged.updated_at).toBe(updated.updated_at);
    expect(await companiesOf(env, caller.tenant.id)).toHaveLength(1);
  });

  it('matches an existing Company by external id before domain', async () => {
    const caller = await freshCaller();
    const byExternalId = await env.services.companies.create(caller.auth, { name: 'Old name', externalId: 'ACC-1', domain: 'old.example' });
    await env.services.companies.create(caller.auth, { name: 'Domain twin', domain: 'new.example' });

    const [stored] = await upsert(caller, [companyRecordFactory({ external_id: 'ACC-1', title: 'New name', attributes: { domain: 'new.example' } })]);

    expect((await storedRecord(env, stored.id)).company_id).toBe(byExternalId.id);
    const companies = await companiesOf(env, caller.tenant.id);
    expect(companies).toHaveLength(2);
    expect(companies.find((company) => company.id === byExternalId.id)).toMatchObject({ name: 'New name', domain: 'new.example', external_id: 'ACC-1' });
  });

  it('matches an existing Company by domain when no external id matches, keeping its attributes and filling its external id', async () => {
    const caller = await freshCaller();
    const existing = await env.services.companies.create(caller.auth, { name: 'Globex', domain: 'globex.example', attributes: { note: 'from a user' } });

    const [stored] = await upsert(caller, [companyRecordFactory({ external_id: 'SF-9', title: 'Globex Corp', attributes: { email: 'info@Globex.example', size: 50 } })]);

    expect((await storedRecord(env, stored.id)).company_id).toBe(existing.id);
    expect(await companiesOf(env, caller.tenant.id)).toEqual([
      expect.objectContaining({ id: existing.id, name: 'Globex Corp', domain: 'globex.example', external_id: 'SF-9', attributes: { note: 'from a user', email: 'info@Globex.example', size: 50 } }),
    ]);
  });

  it('creates one Company for two company records of one call sharing a domain', async () => {
    const caller = await freshCaller();

    const stored = await upsert(caller, [
      companyRecordFactory({ source_system: 'salesforce', external_id: 'A-1', attributes: { domain: 'initech.example' } }),
      companyRecordFactory({ source_system: 'sap', external_id: '4711', attributes: { website: 'initech.example' } }),
    ]);

    const companies = await companiesOf(env, caller.tenant.id);
    expect(companies).toHaveLength(1);
    expect(await Promise.all(stored.map(async ({ id }) => (await storedRecord(env, id)).company_id))).toEqual([companies[0].id, companies[0].id]);
  });

  it('links other records by company_external_id, also to a company created earlier in the same call', async () => {
    const caller = await freshCaller();
    const account = companyRecordFactory({ external_id: 'ACC-7' });

    const [company, contact] = await upsert(caller, [account, recordFactory({ kind: 'contact', company_external_id: 'ACC-7' })]);
    const [deal] = await upsert(caller, [recordFactory({ kind: 'deal', company_external_id: 'ACC-7' })]);

    const companyId = (await storedRecord(env, company.id)).company_id;
    expect(companyId).not.toBeNull();
    expect((await storedRecord(env, contact.id)).company_id).toBe(companyId);
    expect((await storedRecord(env, deal.id)).company_id).toBe(companyId);
  });

  it('links other records by the domain of their email or website, parent domains included', async () => {
    const caller = await freshCaller();
    const domain = `${randomUUID().slice(0, 8)}.example`;
    const company = await env.services.companies.create(caller.auth, { name: 'Umbrella', domain });

    const [byEmail, bySubdomain, unrelated] = await upsert(caller, [
      recordFactory({ attributes: { email: `ann@${domain}` } }),
      recordFactory({ kind: 'order', attributes: { website: `https://eu.${domain}/shop` } }),
      recordFactory({ attributes: { email: 'bob@elsewhere.example' } }),
    ]);

    expect((await storedRecord(env, byEmail.id)).company_id).toBe(company.id);
    expect((await storedRecord(env, bySubdomain.id)).company_id).toBe(company.id);
    expect((await storedRecord(env, unrelated.id)).company_id).toBeNull();
  });

  it('never takes a free-mail domain for a company: such accounts stay apart, and such contacts link to none', async () => {
    const caller = await freshCaller();
    const stored = await upsert(caller, [
      companyRecordFactory({ title: 'Ann Baker Consulting', attributes: { email: 'ann.baker@gmail.com' } }),
      companyRecordFactory({ title: 'Bob Lee Repairs', attributes: { email: 'boblee@gmail.com' } }),
      // A free-mail address does not hide the domain a record names elsewhere.
      companyRecordFactory({ title: 'Carol Crafts', attributes: { email: 'carol@web.de', website: 'carol-crafts.example' } }),
      recordFactory({ attributes: { email: 'dana@gmail.com' } }),
    ]);

    const companies = await companiesOf(env, caller.tenant.id);
    expect(companies.map((company) => [company.name, company.domain]).sort()).toEqual([
      ['Ann Baker Consulting', null],
      ['Bob Lee Repairs', null],
      ['Carol Crafts', 'carol-crafts.example'],
    ]);
    expect((await storedRecord(env, stored[3]!.id)).company_id).toBeNull();
  });

  it('links a record sent before its company once it is sent again, recording the company_id change', async () => {
    const caller = await freshCaller();
    const contact = recordFactory({ company_external_id: 'LATE-1' });
    const [early] = await upsert(caller, [contact]);
    expect((await storedRecord(env, early.id)).company_id).toBeNull();

    await upsert(caller, [companyRecordFactory({ external_id: 'LATE-1' })]);
    const [again] = await upsert(caller, [contact]);

    expect(again).toMatchObject({ id: early.id, status: 'updated' });
    const [company] = await companiesOf(env, caller.tenant.id);
    expect((await storedRecord(env, early.id)).company_id).toBe(company.id);
    expect((await recordEvents(env, early.id))[1].payload).toMatchObject({ changedFields: ['company_id'], changedAttributes: [], companyId: company.id });
  });

  it("never links to another tenant's company", async () => {
    const other = await freshCaller();
    await upsert(other, [companyRecordFactory({ external_id: 'SHARED-1', attributes: { domain: 'shared.example' } })]);
    const caller = await freshCaller();

    const [byExternalId, byDomain] = await upsert(caller, [
      recordFactory({ company_external_id: 'SHARED-1' }),
      recordFactory({ attributes: { email: 'ann@shared.example' } }),
    ]);

    expect((await storedRecord(env, byExternalId.id)).company_id).toBeNull();
    expect((await storedRecord(env, byDomain.id)).company_id).toBeNull();
  });
});
