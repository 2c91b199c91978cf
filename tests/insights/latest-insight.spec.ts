import { randomUUID } from 'node:crypto';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { companyFactory, daysBefore, graphql, periodEndAfterNow, storedInsight } from './factories';

// What the dashboard asks for its health list.
const COMPANIES = `
  query Companies($first: Int!) {
    companies(first: $first) { id name latestInsight { id entityId periodEnd score } }
  }`;

interface Listed {
  id: string;
  name: string;
  latestInsight: { id: string; entityId: string; periodEnd: string; score: number } | null;
}

describe('Company.latestInsight', () => {
  let env: TestEnv;
  const end = periodEndAfterNow();

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.close());

  async function companies(caller: Caller): Promise<Listed[]> {
    const answer = await graphql(env, caller.access, COMPANIES, { first: 100 });
    expect(answer.errors).toBeUndefined();
    return answer.data!.companies as Listed[];
  }

  /** Every SQL statement the app's ORM sends while `work` runs, transaction control included. */
  async function statementsOf<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    const logQuery = jest.spyOn(env.db.orm.config.getLogger(), 'logQuery');
    try {
      const result = await work();
      return { result, statements: logQuery.mock.calls.map(([entry]) => String(entry.query)) };
    } finally {
      logQuery.mockRestore();
    }
  }

  /** `count` companies of the caller's tenant, each with one insight ending at `end`. */
  async function companiesWithInsights(caller: Caller, count: number): Promise<void> {
    for (let index = 0; index < count; index++) {
      const company = await companyFactory(env, caller.auth);
      await storedInsight(env, caller.tenant.id, company.id, { periodEnd: end });
    }
  }

  it('answers each company its newest period, the greater id between two of one period end, and null before the first', async () => {
    const caller = await callerFactory(env, 'manager');
    const reviewed = await companyFactory(env, caller.auth, { name: 'Reviewed twice' });
    const olderId = await storedInsight(env, caller.tenant.id, reviewed.id, { periodEnd: end, score: 70 });
    // Stored last but about an earlier week (a late re-run): the newest period wins, not the newest row.
    await storedInsight(env, caller.tenant.id, reviewed.id, { periodEnd: daysBefore(end, 7), score: 20 });
    const quiet = await companyFactory(env, caller.auth, { name: 'Quiet' });
    const tied = await companyFactory(env, caller.auth, { name: 'Tied' });
    const [lowId, highId] = [randomUUID(), randomUUID()].sort();
    await storedInsight(env, caller.tenant.id, tied.id, { id: highId, periodStart: daysBefore(end, 7), periodEnd: end, score: 40 });
    await storedInsight(env, caller.tenant.id, tied.id, { id: lowId, periodStart: daysBefore(end, 14), periodEnd: end, score: 90 });

    const listed = await companies(caller);

    const latestOf = (id: string) => listed.find((company) => company.id === id)?.latestInsight;
    expect(listed).toHaveLength(3);
    expect(latestOf(reviewed.id)).toEqual({ id: olderId, entityId: reviewed.id, periodEnd: end.toISOString(), score: 70 });
    expect(latestOf(quiet.id)).toBeNull();
    expect(latestOf(tied.id)).toEqual({ id: highId, entityId: tied.id, periodEnd: end.toISOString(), score: 40 });
  });

  it('reads the insights of 10 companies with as many statements as those of 2: one batched read', async () => {
    const caller = await callerFactory(env, 'member');
    const manager = await callerFactory(env, 'manager', caller.tenant);
    await companiesWithInsights(manager, 2);
    const two = await statementsOf(() => companies(caller));
    await companiesWithInsights(manager, 8);

    const ten = await statementsOf(() => companies(caller));

    expect(ten.result).toHaveLength(10);
    expect(ten.result.every((company) => company.latestInsight?.entityId === company.id)).toBe(true);
    expect(ten.statements).toHaveLength(two.statements.length);
    expect(ten.statements.filter((sql) => sql.includes('insight_syntheses'))).toHaveLength(1);
  });

  it('shows a newer insight on the next request: nothing is kept between requests', async () => {
    const caller = await callerFactory(env, 'manager');
    const company = await companyFactory(env, caller.auth);
    await storedInsight(env, caller.tenant.id, company.id, { periodEnd: daysBefore(end, 7) });
    const before = await companies(caller);

    const newerId = await storedInsight(env, caller.tenant.id, company.id, { periodEnd: end });
    const after = await companies(caller);

    expect(before[0].latestInsight?.periodEnd).toBe(daysBefore(end, 7).toISOString());
    expect(after[0].latestInsight?.id).toBe(newerId);
  });

  it("gives two tenants asking at once only their own companies' insights", async () => {
    const a = await callerFactory(env, 'manager');
    const b = await callerFactory(env, 'manager');
    await companiesWithInsights(a, 3);
    await companiesWithInsights(b, 2);
    const [aInsights, bInsights] = await Promise.all(
      [a, b].map((caller) => env.ownerDb.query<{ id: string }>('select id from insight_syntheses where tenant_id = ?', [caller.tenant.id])),
    );

    const [aListed, bListed] = await Promise.all([companies(a), companies(b)]);

    expect(aListed.map((company) => company.latestInsight?.id).sort()).toEqual(aInsights.map((row) => row.id).sort());
    expect(bListed.map((company) => company.latestInsight?.id).sort()).toEqual(bInsights.map((row) => row.id).sort());
  });

  it("finds nothing for another tenant's company id, even when asked for it directly", async () => {
    const a = await callerFactory(env, 'manager');
    const b = await callerFactory(env, 'manager');
    const ours = await companyFactory(env, a.auth);
    const theirs = await companyFactory(env, b.auth);
    const ourId = await storedInsight(env, a.tenant.id, ours.id, { periodEnd: end });
    await storedInsight(env, b.tenant.id, theirs.id, { periodEnd: end });

    const latest = await env.services.insights.latestOf(a.auth, [theirs.id, ours.id, theirs.id]);

    expect(latest.map((insight) => insight?.id ?? null)).toEqual([null, ourId, null]);
  });
});
