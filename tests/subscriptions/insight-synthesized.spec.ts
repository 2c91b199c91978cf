import type { Client } from 'graphql-ws';
import { topics } from '../../src/platform/graphql/topics';
import { callerFactory, type Caller } from '../factories';
import { companyFactory, daysBefore, periodEndAfterNow, storedInsight, synthesize } from '../insights/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { INSIGHT_SYNTHESIZED, listenUrl, openSocket, record, sleep, subscribed, type Recording, type Result } from './live';

const insightOf = (message: Result) => message.data?.insightSynthesized as { id: string; entityId: string; score: number } | undefined;

describe('subscription insightSynthesized', () => {
  let env: TestEnv;
  let url: string;
  let a: Caller;
  let b: Caller;
  let acme: string;
  let globex: string;
  const clients: Client[] = [];

  function subscribe(caller: Caller, variables: Record<string, unknown> = {}): Recording {
    const { client } = openSocket(url, caller.access);
    clients.push(client);
    return record(client, INSIGHT_SYNTHESIZED, variables);
  }

  beforeAll(async () => {
    env = await createTestEnv();
    url = await listenUrl(env);
    a = await callerFactory(env, 'member');
    b = await callerFactory(env, 'admin');
    const admin = await callerFactory(env, 'admin', a.tenant);
    acme = (await companyFactory(env, admin.auth)).id;
    globex = (await companyFactory(env, admin.auth)).id;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(() => env.close());

  it("pushes a stored insight to the tenant's subscribers, filtered by company, and never to another tenant naming that company", async () => {
    const every = subscribe(a);
    const onlyAcme = subscribe(a, { entityId: acme });
    const onlyGlobex = subscribe(a, { entityId: globex });
    const otherTenant = subscribe(b, { entityId: acme });
    await subscribed(env, topics.insightSynthesized(a.tenant.id), 3);
    await subscribed(env, topics.insightSynthesized(b.tenant.id));

    await synthesize(env, a.tenant.id, periodEndAfterNow(), { entityId: acme });

    const message = await onlyAcme.waitFor("Acme's insight", (m) => insightOf(m)?.entityId === acme);
    const [stored] = await env.ownerDb.query<{ id: string; score: number }>('select id, score from insight_syntheses where tenant_id = ? and entity_id = ?', [a.tenant.id, acme]);
    expect(insightOf(message)).toMatchObject({ id: stored.id, entityId: acme, score: stored.score });
    await every.waitFor("Acme's insight", (m) => insightOf(m)?.id === stored.id);
    await sleep(500);
    expect(onlyGlobex.messages).toEqual([]);
    expect(otherTenant.messages).toEqual([]);
  });

  it("finds nothing when a notification names another tenant's insight", async () => {
    const live = subscribe(b);
    await subscribed(env, topics.insightSynthesized(b.tenant.id));
    const [insight] = await env.ownerDb.query<{ id: string; entity_id: string }>('select id, entity_id from insight_syntheses where tenant_id = ? limit 1', [a.tenant.id]);
    expect(insight).toBeDefined();

    await env.ownerDb.query(`select pg_notify('pebble_insights', ?)`, [
      JSON.stringify({ topic: 'insight', tenantId: b.tenant.id, entityId: insight.entity_id, insightId: insight.id, score: 0 }),
    ]);
    await sleep(800);

    expect(live.messages).toEqual([]);
  });

  it("pushes a burst of insights in the order announced, read in one query, leaving out another tenant's", async () => {
    const live = subscribe(a);
    await subscribed(env, topics.insightSynthesized(a.tenant.id));
    const end = daysBefore(periodEndAfterNow(), 70);
    const acmes = await storedInsight(env, a.tenant.id, acme, { periodEnd: end });
    const globexs = await storedInsight(env, a.tenant.id, globex, { periodEnd: end });
    const theirCompany = await companyFactory(env, b.auth);
    const theirs = await storedInsight(env, b.tenant.id, theirCompany.id, { periodEnd: end });
    const announce = (insightId: string, entityId: string) => JSON.stringify({ topic: 'insight', tenantId: a.tenant.id, entityId, insightId, score: 50 });
    const logQuery = jest.spyOn(env.db.orm.config.getLogger(), 'logQuery');
    let reads: string[];

    try {
      // Sent in one transaction, so they arrive together and share one flush, as a run's insights within one interval do.
      await env.ownerDb.query(`select pg_notify('pebble_insights', ?), pg_notify('pebble_insights', ?), pg_notify('pebble_insights', ?)`, [
        announce(globexs, globex),
        announce(theirs, theirCompany.id),
        announce(acmes, acme),
      ]);
      await live.waitFor("Acme's insight", (m) => insightOf(m)?.id === acmes);
      await sleep(300);
      reads = logQuery.mock.calls.map(([entry]) => String(entry.query)).filter((sql) => sql.includes('insight_syntheses'));
    } finally {
      logQuery.mockRestore();
    }

    expect(live.messages.map((message) => insightOf(message)?.id)).toEqual([globexs, acmes]);
    expect(reads).toHaveLength(1);
  });

  it('refuses an entityId that is not an id, naming the argument', async () => {
    const live = subscribe(a, { entityId: 'acme' });

    const refused = await live.waitFor('an error', (m) => Boolean(m.errors));

    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'entityId', message: expect.any(String) }] });
  });

  it('refuses an integration, like the insights query', async () => {
    const integration = await callerFactory(env, 'integration', a.tenant);
    const live = subscribe(integration);

    const refused = await live.waitFor('an error', (m) => Boolean(m.errors));

    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
