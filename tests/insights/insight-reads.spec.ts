import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { companyFactory, daysBefore, graphql, insightOf, periodEndAfterNow, processedEmail, synthesize, type InsightRow } from './factories';

const INSIGHTS = `
  query Insights($entityId: ID, $first: Int, $after: ID) {
    insights(entityId: $entityId, first: $first, after: $after) { id entityId periodEnd score }
  }`;

const INSIGHT = `
  query Insight($id: ID!) {
    insight(id: $id) {
      id entityType entityId periodStart periodEnd score previousScore trend direction
      components { key label weight health points lost detail }
      signals previousSignals summary provider model promptVersion fallbackReason
      timings { aggregateMs llmMs totalMs } runId sourceSystem correlationId createdAt updatedAt
    }
  }`;

const HEALTH = `
  query Health($entityId: ID!, $last: Int) {
    entityHealth(entityId: $entityId, last: $last) { periodStart periodEnd score trend direction }
  }`;

const LATEST = `
  query Latest($id: ID!) {
    company(id: $id) { name latestInsight { id periodEnd score } }
  }`;

const SYNTHESIZE = `
  mutation Synthesize($entityId: ID, $periodEnd: DateTimeISO) {
    synthesizeInsights(entityId: $entityId, periodEnd: $periodEnd) { runId periodStart periodEnd }
  }`;

const codeOf = (answer: Awaited<ReturnType<typeof graphql>>) => answer.errors?.[0]?.extensions?.code;

describe('reading insights (US-BKP-008)', () => {
  let env: TestEnv;
  let manager: Caller;
  let member: Caller;
  let integration: Caller;
  let stranger: Caller;
  let companyId: string;
  let quietId: string;
  let theirs: InsightRow;
  const ends = [2, 1, 0].map((weeks) => daysBefore(periodEndAfterNow(), 7 * weeks));

  beforeAll(async () => {
    env = await createTestEnv();
    manager = await callerFactory(env, 'manager');
    member = await callerFactory(env, 'member', manager.tenant);
    integration = await callerFactory(env, 'integration', manager.tenant);
    stranger = await callerFactory(env, 'admin');
    const company = await companyFactory(env, manager.auth, { name: 'Readable Inc' });
    companyId = company.id;
    quietId = (await companyFactory(env, manager.auth, { name: 'Quiet Inc' })).id;
    await processedEmail(env, integration, { from: `ann@${company.domain}`, subject: 'Order 9 is out of stock', body: 'Out of stock again, this is unacceptable.' });
    // Three weeks of one company, oldest first, and one insight of another tenant.
    for (const end of ends) await synthesize(env, manager.tenant.id, end, { entityId: companyId });
    const theirCompany = await companyFactory(env, stranger.auth, { name: 'Theirs Ltd' });
    await synthesize(env, stranger.tenant.id, ends[2], { entityId: theirCompany.id });
    theirs = await insightOf(env, stranger.tenant.id, theirCompany.id, ends[2]);
  });
  afterAll(() => env.close());

  it("lists the tenant's insights newest period first, page after page", async () => {
    const first = await graphql(env, member.access, INSIGHTS, { first: 2 });
    const page = first.data!.insights as { id: string; entityId: string; periodEnd: string; score: number }[];
    const rest = await graphql(env, member.access, INSIGHTS, { first: 2, after: page[1].id });

    expect(page.map((insight) => insight.periodEnd)).toEqual([ends[2].toISOString(), ends[1].toISOString()]);
    expect((rest.data!.insights as { periodEnd: string }[]).map((insight) => insight.periodEnd)).toEqual([ends[0].toISOString()]);
    expect([...page, ...(rest.data!.insights as { entityId: string }[])].every((insight) => insight.entityId === companyId)).toBe(true);
  });

  it("lists one company's insights, and none of a company without any", async () => {
    const own = await graphql(env, member.access, INSIGHTS, { entityId: companyId });
    const quiet = await graphql(env, member.access, INSIGHTS, { entityId: quietId });

    expect(own.data!.insights).toHaveLength(3);
    expect(quiet.data!.insights).toEqual([]);
  });

  it('answers one insight with its score, components, signals and summary', async () => {
    const row = await insightOf(env, manager.tenant.id, companyId, ends[2]);

    const answer = await graphql(env, member.access, INSIGHT, { id: row.id });

    expect(answer.errors).toBeUndefined();
    expect(answer.data!.insight).toMatchObject({
      id: row.id,
      entityType: 'company',
      entityId: companyId,
      periodStart: daysBefore(ends[2], 7).toISOString(),
      periodEnd: ends[2].toISOString(),
      score: row.score,
      // The weeks before were quiet: no activity, so nothing to compare with.
      previousScore: null,
      trend: null,
      direction: 'new',
      components: row.components,
      signals: row.signals,
      summary: row.summary,
      provider: 'builtin',
      sourceSystem: 'insights',
      runId: row.run_id,
    });
  });

  it("answers NOT_FOUND for another tenant's insight, and lists none of theirs", async () => {
    const answer = await graphql(env, manager.access, INSIGHT, { id: theirs.id });
    const list = await graphql(env, manager.access, INSIGHTS, { first: 100 });
    const theirList = await graphql(env, stranger.access, INSIGHTS, { first: 100 });

    expect(codeOf(answer)).toBe('NOT_FOUND');
    expect(answer.data).toBeNull();
    expect((list.data!.insights as { id: string }[]).map((insight) => insight.id)).not.toContain(theirs.id);
    expect((theirList.data!.insights as { id: string }[]).map((insight) => insight.id)).toEqual([theirs.id]);
  });

  it("answers a company's health history oldest first, for a chart", async () => {
    const answer = await graphql(env, member.access, HEALTH, { entityId: companyId });
    const last = await graphql(env, member.access, HEALTH, { entityId: companyId, last: 2 });

    const points = answer.data!.entityHealth as { periodEnd: string; score: number; trend: number | null; direction: string }[];
    expect(points.map((point) => point.periodEnd)).toEqual(ends.map((end) => end.toISOString()));
    expect(points.slice(0, 2)).toEqual([
      { periodStart: daysBefore(ends[0], 7).toISOString(), periodEnd: ends[0].toISOString(), score: 85, trend: null, direction: 'new' },
      { periodStart: daysBefore(ends[1], 7).toISOString(), periodEnd: ends[1].toISOString(), score: 85, trend: null, direction: 'new' },
    ]);
    expect((last.data!.entityHealth as { periodEnd: string }[]).map((point) => point.periodEnd)).toEqual([ends[1].toISOString(), ends[2].toISOString()]);
  });

  it("gives a company its newest insight, and null before the first", async () => {
    const row = await insightOf(env, manager.tenant.id, companyId, ends[2]);

    const answer = await graphql(env, member.access, LATEST, { id: companyId });
    const quiet = await graphql(env, member.access, LATEST, { id: quietId });

    expect(answer.data!.company).toEqual({ name: 'Readable Inc', latestInsight: { id: row.id, periodEnd: ends[2].toISOString(), score: row.score } });
    expect(quiet.data!.company).toEqual({ name: 'Quiet Inc', latestInsight: null });
  });

  it('lets managers, admins and members read, and refuses integrations', async () => {
    for (const caller of [manager, member, stranger]) expect((await graphql(env, caller.access, INSIGHTS, {})).errors).toBeUndefined();

    for (const query of [INSIGHTS, HEALTH.replace('$entityId: ID!', '$entityId: ID! = "00000000-0000-4000-8000-000000000000"')]) {
      expect(codeOf(await graphql(env, integration.access, query, {}))).toBe('FORBIDDEN');
    }
    const latest = await graphql(env, integration.access, LATEST, { id: companyId });
    expect(codeOf(latest)).toBe('FORBIDDEN');
  });

  it('lets only managers and admins start a synthesis', async () => {
    for (const caller of [member, integration]) {
      const answer = await graphql(env, caller.access, SYNTHESIZE, {});
      expect(codeOf(answer)).toBe('FORBIDDEN');
    }
    const started = await graphql(env, manager.access, SYNTHESIZE, { entityId: companyId });
    expect(started.errors).toBeUndefined();
    const jobs = await env.ownerDb.query<{ data: Record<string, unknown> }>(`select data from pgboss.job where name = 'synthesize_tenant_insights' and id = ?`, [
      (started.data!.synthesizeInsights as { runId: string }).runId,
    ]);
    expect(jobs).toEqual([{ data: expect.objectContaining({ tenantId: manager.tenant.id, entityId: companyId }) }]);
  });

  it('ends a synthesis by default at the start of today (UTC), a period of INSIGHTS_PERIOD_DAYS', async () => {
    const answer = await graphql(env, manager.access, SYNTHESIZE, {});

    const now = new Date();
    const midnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    expect(answer.data!.synthesizeInsights).toEqual({ runId: expect.any(String), periodStart: daysBefore(midnight, 7).toISOString(), periodEnd: midnight.toISOString() });
  });

  it("refuses another tenant's company as NOT_FOUND, and queues nothing", async () => {
    const answer = await graphql(env, manager.access, SYNTHESIZE, { entityId: theirs.entity_id });

    expect(codeOf(answer)).toBe('NOT_FOUND');
    const jobs = await env.ownerDb.query(`select 1 from pgboss.job where name = 'synthesize_tenant_insights' and data->>'entityId' = ?`, [theirs.entity_id]);
    expect(jobs).toEqual([]);
  });

  describe('bad input is BAD_USER_INPUT naming the field', () => {
    const fieldsOf = (answer: Awaited<ReturnType<typeof graphql>>) =>
      (answer.errors?.[0]?.extensions?.fields as { field: string; message: string }[] | undefined)?.map((problem) => problem.field);

    it.each([
      ['insights(entityId:)', INSIGHTS, { entityId: 'acme' }, 'entityId'],
      ['insights(after:)', INSIGHTS, { after: '42' }, 'after'],
      ['insights(first:)', INSIGHTS, { first: 0 }, 'first'],
      ['entityHealth(entityId:)', HEALTH, { entityId: 'acme' }, 'entityId'],
      ['entityHealth(last:)', HEALTH, { entityId: '00000000-0000-4000-8000-000000000000', last: 1000 }, 'last'],
      ['synthesizeInsights(entityId:)', SYNTHESIZE, { entityId: 'acme' }, 'entityId'],
      ['synthesizeInsights(periodEnd:) far ahead', SYNTHESIZE, { periodEnd: '2999-01-01T00:00:00Z' }, 'periodEnd'],
      ['synthesizeInsights(periodEnd:) long ago', SYNTHESIZE, { periodEnd: '1999-12-31T00:00:00Z' }, 'periodEnd'],
    ])('%s', async (_name, query, variables, field) => {
      const answer = await graphql(env, manager.access, query, variables);

      expect(codeOf(answer)).toBe('BAD_USER_INPUT');
      expect(fieldsOf(answer)).toEqual([field]);
    });

    it('synthesizeInsights(periodEnd:) that is not a date-time', async () => {
      const answer = await graphql(env, manager.access, SYNTHESIZE, { periodEnd: 'next monday' });

      expect(codeOf(answer)).toBe('BAD_USER_INPUT');
      expect(answer.errors![0].message).toMatch(/\$periodEnd/);
    });

    it("insight(id:) that is no insight's id is NOT_FOUND, like every lookup by id", async () => {
      expect(codeOf(await graphql(env, manager.access, INSIGHT, { id: 'acme' }))).toBe('NOT_FOUND');
    });
  });

  describe('the REST shim', () => {
    const get = (caller: Caller, url: string) => env.api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${caller.access}` } });
    const post = (caller: Caller, body: unknown) =>
      env.api.app.inject({
        method: 'POST',
        url: '/api/v1/insights/synthesize/',
        headers: { authorization: `Bearer ${caller.access}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });

    it("lists a company's insights as GET /api/v1/insights/?entity_id=, and one as /api/v1/insights/<id>/", async () => {
      const row = await insightOf(env, manager.tenant.id, companyId, ends[2]);

      const list = await get(member, `/api/v1/insights/?entity_id=${companyId}&first=1`);
      const one = await get(member, `/api/v1/insights/${row.id}/`);
      const foreign = await get(member, `/api/v1/insights/${theirs.id}/`);

      expect(list.statusCode).toBe(200);
      expect(list.json()).toEqual([expect.objectContaining({ id: row.id, entity_id: companyId, score: row.score, direction: row.direction, summary: row.summary })]);
      expect(one.json()).toMatchObject({ id: row.id, period_end: ends[2].toISOString(), previous_score: null, fallback_reason: null });
      expect(foreign.statusCode).toBe(404);
      expect((await get(integration, '/api/v1/insights/')).statusCode).toBe(403);
    });

    it('queues a synthesis with POST /api/v1/insights/synthesize/ (202), for managers and admins only', async () => {
      const periodEnd = periodEndAfterNow().toISOString();

      const accepted = await post(manager, { entity_id: companyId, period_end: periodEnd });
      const refused = await post(member, {});
      const bad = await post(manager, { period_end: 'soon' });

      expect(accepted.statusCode).toBe(202);
      expect(accepted.json()).toEqual({ run_id: expect.any(String), period_start: daysBefore(new Date(periodEnd), 7).toISOString(), period_end: periodEnd });
      expect(refused.statusCode).toBe(403);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors).toEqual([{ field: 'period_end', message: expect.any(String) }]);
    });
  });
});
