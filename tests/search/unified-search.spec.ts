import { randomUUID } from 'node:crypto';
import { buildApp, type PebbleApp } from '../../src/app';
import { Database } from '../../src/platform/db/database';
import { createLogger } from '../../src/platform/logging/logger';
import { CommonWords } from '../../src/search/common-words';
import { SearchService } from '../../src/search/search.service';
import { createServices, type Services } from '../../src/services';
import { callerFactory, type Caller } from '../factories';
import { UnifiedSearchDocument } from '../generated/graphql';
import { execute } from '../graphql/execute';
import { emailFactory, ingest } from '../ingestion/factories';
import { freePort } from '../setup/global-setup';
import { createTestEnv, TEST_JWT_SECRET, type TestEnv } from '../setup/test-env';
import { startTestWorker, type TestWorker } from '../setup/worker';
import { searchRest, settled, type RestResults } from './helpers';

describe(SearchService.name, () => {
  let env: TestEnv;
  let worker: TestWorker;
  let a: Caller;
  let b: Caller;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startTestWorker(env);
    [a, b] = await Promise.all([callerFactory(env, 'admin'), callerFactory(env, 'admin')]);
    const send = async (caller: Caller, name: string, fields: Record<string, unknown>) => {
      const response = await ingest(env, caller.access, emailFactory(fields));
      expect(response.statusCode).toBe(202);
      ids[name] = response.json<{ tracking_id: string }>().tracking_id;
    };
    await send(a, 'customs', {
      subject: 'Shipment for order SO-77123 delayed',
      from: 'Piet de Vries <piet@northwind.example>',
      body: 'The pallet of espresso machines for order SO-77123 is stuck in customs in Rotterdam. Please advise.',
    });
    await send(a, 'invoice', {
      subject: 'Invoice INV-2024-0042 is overdue',
      from: 'billing@harbor-supplies.example',
      body: 'Our invoice INV-2024-0042 over 1,250 EUR for harbour cranes is 30 days overdue. Kindly arrange payment.',
    });
    await send(a, 'html', { subject: 'Markup in a message', body: 'Watch this <script>alert("x")</script> lighthouse lantern & more' });
    for (const caller of [a, b]) {
      await send(caller, `twin-${caller === a ? 'a' : 'b'}`, {
        subject: 'Quarterly forecast for cardamom tea',
        body: 'Identical text in two tenants: the cardamom tea forecast for the next quarter.',
      });
    }
    const company = await env.services.companies.create(a.auth, { name: 'Northwind Traders', domain: 'northwind.example', attributes: { segment: 'wholesale', city: 'Rotterdam' } });
    ids.company = company.id;
    await settled(env);
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await env?.close();
  });

  const rest = async (caller: Caller | undefined, query: Record<string, string>) => {
    const response = await searchRest(env, caller?.access, query);
    return { status: response.statusCode, body: response.json() };
  };

  it('finds an email by an exact order number over REST, with the number highlighted', async () => {
    const { status, body } = await rest(a, { q: 'SO-77123' });
    expect(status).toBe(200);
    const results = body as RestResults;
    expect(results.degraded).toBe(false);
    const emailHit = results.hits.find((hit) => hit.type === 'email');
    expect(emailHit).toMatchObject({ id: ids.customs, title: 'Shipment for order SO-77123 delayed' });
    expect(emailHit!.keyword_rank).toBe(1);
    expect(emailHit!.snippet).toContain('<mark>');
    // The card made from that email is found too: it carries the subject and the start of the body.
    expect(results.hits.some((hit) => hit.type === 'card' && hit.title === 'Shipment for order SO-77123 delayed')).toBe(true);
  });

  it('finds by misspelled words through the vector half', async () => {
    const { body } = await rest(a, { q: 'expresso machnes custom', types: 'email' });
    const results = body as RestResults;
    expect(results.hits[0]).toMatchObject({ type: 'email', id: ids.customs });
    expect(results.hits[0]!.vector_rank).toBe(1);
  });

  it('finds a company by name and by a word of its attributes', async () => {
    const byName = (await rest(a, { q: 'northwind traders', types: 'company' })).body as RestResults;
    expect(byName.hits.map((hit) => hit.id)).toEqual([ids.company]);
    const byAttribute = (await rest(a, { q: 'wholesale', types: 'company,record' })).body as RestResults;
    expect(byAttribute.hits[0]).toMatchObject({ type: 'company', id: ids.company });
  });

  it('answers unifiedSearch over GraphQL with typed hits and the same order as REST', async () => {
    const result = await execute(env.api, UnifiedSearchDocument, { q: 'INV-2024-0042 overdue invoice', limit: 5 }, a.access);
    expect(result.errors).toBeUndefined();
    const search = result.data!.unifiedSearch;
    expect(search.degraded).toBe(false);
    expect(search.hits[0]).toMatchObject({ type: 'email', id: ids.invoice });
    expect(search.hits.length).toBeLessThanOrEqual(5);
    const restIds = ((await rest(a, { q: 'INV-2024-0042 overdue invoice', limit: '5' })).body as RestResults).hits.map((hit) => hit.id);
    expect(search.hits.map((hit) => hit.id)).toEqual(restIds);
  });

  it('keeps to the types asked for', async () => {
    const { body } = await rest(a, { q: 'SO-77123', types: 'card' });
    const results = body as RestResults;
    expect(results.hits.length).toBeGreaterThan(0);
    expect(new Set(results.hits.map((hit) => hit.type))).toEqual(new Set(['card']));
  });

  it('escapes HTML in snippets and marks the matched words', async () => {
    const { body } = await rest(a, { q: 'lighthouse lantern', types: 'email' });
    const hit = (body as RestResults).hits.find((candidate) => candidate.id === ids.html)!;
    // Postgres' headline parser drops the tag; what remains of the text is escaped: brackets, quotes, ampersands.
    expect(hit.snippet).not.toContain('<script');
    expect(hit.snippet).toContain('&#60;ann@customer.example&#62;');
    expect(hit.snippet).toContain('&#34;x&#34;');
    expect(hit.snippet).toContain('&#38; more');
    expect(hit.snippet).toMatch(/<mark>lighthouse<\/mark> <mark>lantern<\/mark>/);
  });

  it('shows each tenant only its own copy of identical text', async () => {
    const forA = ((await rest(a, { q: 'cardamom tea forecast' })).body as RestResults).hits;
    const forB = ((await rest(b, { q: 'cardamom tea forecast' })).body as RestResults).hits;
    expect(forA.find((hit) => hit.type === 'email')?.id).toBe(ids['twin-a']);
    expect(forB.find((hit) => hit.type === 'email')?.id).toBe(ids['twin-b']);
    const bIds = new Set(forB.map((hit) => hit.id));
    expect(forA.filter((hit) => bIds.has(hit.id))).toEqual([]);
    // B has nothing about order SO-77123, whatever the vector half's nearest neighbours are.
    const leak = ((await rest(b, { q: 'SO-77123 espresso customs Rotterdam' })).body as RestResults).hits;
    expect(leak.map((hit) => hit.id)).not.toContain(ids.customs);
    expect(leak.every((hit) => hit.id !== ids.company)).toBe(true);
  });

  it('keeps the keyword and snippet functions to the tenant they are given, and gives back the caller\'s setting', async () => {
    const keywordHits = async (tenantId: string) =>
      (await env.db.statement<{ entity_id: string }>('select entity_id from search_keyword_hits($1, $2, $3::text[], 50, null, 1000)', [tenantId, 'cardamom tea forecast', ['email']])).map(
        (row) => row.entity_id,
      );
    expect(await keywordHits(a.tenant.id)).toEqual([ids['twin-a']]);
    expect(await keywordHits(b.tenant.id)).toEqual([ids['twin-b']]);
    expect(await keywordHits(randomUUID())).toEqual([]);

    const twins = [ids['twin-a'], ids['twin-b']];
    const snippets = (runner: { query(text: string, values: unknown[]): Promise<{ rows: unknown[] }> }, tenantId: string) =>
      runner.query('select entity_id, snippet from search_snippets($1, $2, $3::text[], $4::uuid[], 10)', [tenantId, 'cardamom', ['email', 'email'], twins]);
    const scoped = async (tenantId: string) => (await snippets({ query: (text, values) => env.db.statement(text, values).then((rows) => ({ rows })) }, tenantId)).rows;
    expect(await scoped(a.tenant.id)).toEqual([{ entity_id: ids['twin-a'], snippet: expect.stringContaining('\u0001') }]);
    expect(await scoped(b.tenant.id)).toEqual([{ entity_id: ids['twin-b'], snippet: expect.any(String) }]);
    // In a transaction of tenant B, reading tenant A's snippets scopes only that statement.
    const after = await env.db.transaction(async (client) => {
      await Database.setTenant(client, b.tenant.id);
      expect((await snippets(client, a.tenant.id)).rows).toEqual([{ entity_id: ids['twin-a'], snippet: expect.any(String) }]);
      return (await client.query<{ scope: string }>(`select current_setting('app.tenant_id') as scope`)).rows[0]!.scope;
    });
    expect(after).toBe(b.tenant.id);
  });

  it('lets a word the statistics count in more than SEARCH_COMMON_WORD_DOCS documents only rank, not find, any-word hits', async () => {
    const c = await callerFactory(env, 'admin');
    const document = (title: string, content: string) => [c.tenant.id, randomUUID(), title, content];
    const rows = [...Array.from({ length: 40 }, (_, n) => document(`Sprocket report ${n}`, `Monthly sprocket figures, sheet ${n}.`)), document('Zebra crossing', 'The zebra crossing outside the depot.')];
    await env.ownerDb.query(
      `insert into search_documents (id, tenant_id, source_system, correlation_id, doc_type, entity_id, title, content, content_hash)
       select gen_random_uuid(), x.tenant_id, 'test', 'test', 'record', x.entity_id, x.title, x.content, md5(x.content)
       from jsonb_to_recordset(?::jsonb) as x(tenant_id uuid, entity_id uuid, title text, content text)`,
      [JSON.stringify(rows.map(([tenantId, entityId, title, content]) => ({ tenant_id: tenantId, entity_id: entityId, title, content })))],
    );
    const listed = new CommonWords(env.db, 20);
    const unlisted = new CommonWords(env.db, 20, 0);
    // Until the table is analysed no word is common; the list read then is kept for its refresh interval.
    expect(await listed.get()).not.toContain('sprocket');
    // What autovacuum does after a bulk load.
    await env.ownerDb.query('analyze search_documents');
    expect(await listed.get()).not.toContain('sprocket');
    const common = await unlisted.get();
    expect(common).toContain('sprocket');
    expect(common).not.toContain('zebra');
    expect(await new CommonWords(env.db, 1000).get()).not.toContain('sprocket');

    const keywordHits = (q: string, commonWords: string[]) =>
      env.db.statement<{ entity_id: string; exact: boolean }>('select entity_id, exact from search_keyword_hits($1, $2, $3::text[], 50, $4::text[], 1000)', [c.tenant.id, q, ['record'], commonWords]);
    const zebra = rows.at(-1)![1];

    // Neither document holds both words, so every hit is an any-word hit.
    expect(await keywordHits('sprocket zebra', [])).toHaveLength(41);
    // `sprocket` is in 40 documents: above a limit of 20 it brings no hits of its own, and `zebra` still does.
    expect(await keywordHits('sprocket zebra', common)).toEqual([{ entity_id: zebra, exact: false }]);
    expect(await keywordHits('sprocket elephant', common)).toEqual([]);
    // A common word still finds what matches the whole query.
    expect(await keywordHits('sprocket', common)).toHaveLength(40);
  });

  it('ranks at most SEARCH_RANK_DOCS matches of a tier, the most recently updated ones', async () => {
    const c = await callerFactory(env, 'admin');
    // 60 documents hold both words; the old ones say `gasket` twice (ranked higher), the recent ones once.
    const documents = Array.from({ length: 60 }, (_, n) => ({
      tenant_id: c.tenant.id,
      entity_id: randomUUID(),
      title: `Gasket batch ${n}`,
      content: n < 30 ? 'Gasket torque: gasket batch checked.' : 'Torque checked for the batch.',
      updated_at: new Date(Date.UTC(2026, 0, 1 + n)).toISOString(),
    }));
    await env.ownerDb.query(
      `insert into search_documents (id, tenant_id, source_system, correlation_id, doc_type, entity_id, title, content, content_hash, updated_at)
       select gen_random_uuid(), x.tenant_id, 'test', 'test', 'record', x.entity_id, x.title, x.content, md5(x.content), x.updated_at
       from jsonb_to_recordset(?::jsonb) as x(tenant_id uuid, entity_id uuid, title text, content text, updated_at timestamptz)`,
      [JSON.stringify(documents)],
    );
    const keywordHits = async (q: string, rankDocs: number) =>
      (await env.db.statement<{ entity_id: string }>('select entity_id from search_keyword_hits($1, $2, $3::text[], 10, null, $4)', [c.tenant.id, q, ['record'], rankDocs])).map((row) => row.entity_id);
    const older = new Set<string>(documents.slice(0, 30).map((document) => document.entity_id));
    const newest = new Set<string>(documents.slice(-20).map((document) => document.entity_id));

    // Ranking every match puts the documents that say `gasket` twice first.
    const all = await keywordHits('gasket torque', 1000);
    expect(all).toHaveLength(10);
    expect(all.every((id) => older.has(id))).toBe(true);
    // Ranking only the 20 most recently updated matches finds the best of those (a cap below the limit counts as the limit).
    const capped = await keywordHits('gasket torque', 20);
    expect(capped).toHaveLength(10);
    expect(capped.every((id) => newest.has(id))).toBe(true);
    expect(await keywordHits('gasket torque', 1)).toEqual(await keywordHits('gasket torque', 10));
  });

  it('ranks the most recently updated any-word matches besides the whole-query ones, each document once', async () => {
    const c = await callerFactory(env, 'admin');
    // Days 1-20 say `valve` four times, 21-23 three times, 24-30 once; the three newest (days 40-42) hold both words.
    const content = (day: number) => (day >= 40 ? 'Valve and flange replaced.' : `${'Valve '.repeat(day <= 20 ? 4 : day <= 23 ? 3 : 1)}checked.`);
    const documents = [...Array.from({ length: 30 }, (_, n) => n + 1), 40, 41, 42].map((day) => ({
      tenant_id: c.tenant.id,
      entity_id: randomUUID(),
      day,
      content: content(day),
      updated_at: new Date(Date.UTC(2026, 0, day)).toISOString(),
    }));
    await env.ownerDb.query(
      `insert into search_documents (id, tenant_id, source_system, correlation_id, doc_type, entity_id, title, content, content_hash, updated_at)
       select gen_random_uuid(), x.tenant_id, 'test', 'test', 'record', x.entity_id, 'Inspection', x.content, md5(x.content), x.updated_at
       from jsonb_to_recordset(?::jsonb) as x(tenant_id uuid, entity_id uuid, content text, updated_at timestamptz)`,
      [JSON.stringify(documents)],
    );
    const dayOf = new Map<string, number>(documents.map((document) => [document.entity_id, document.day]));
    const keywordHits = async (rankDocs: number) =>
      (await env.db.statement<{ entity_id: string; exact: boolean }>('select entity_id, exact from search_keyword_hits($1, $2, $3::text[], 10, null, $4)', [c.tenant.id, 'valve flange', ['record'], rankDocs])).map(
        (row) => ({ day: dayOf.get(row.entity_id)!, exact: row.exact }),
      );

    const all = await keywordHits(1000);
    expect(all).toHaveLength(10);
    expect(all.slice(0, 3).map((hit) => hit.day).sort()).toEqual([40, 41, 42]);
    expect(all.slice(0, 3).every((hit) => hit.exact)).toBe(true);
    // Uncapped, the any-word hits are the documents that say `valve` most, whenever they were updated.
    expect(all.slice(3).every((hit) => !hit.exact && hit.day <= 20)).toBe(true);
    // Capped at 10: the ten newest any-word matches are days 21-30, not the whole-query ones; the best of them are 21-23.
    const capped = await keywordHits(10);
    expect(capped).toHaveLength(10);
    expect(capped.slice(0, 3).map((hit) => hit.exact)).toEqual([true, true, true]);
    const anyWord = capped.slice(3);
    expect(anyWord.every((hit) => !hit.exact && hit.day >= 21 && hit.day <= 30)).toBe(true);
    expect(anyWord.slice(0, 3).map((hit) => hit.day).sort()).toEqual([21, 22, 23]);
    expect(new Set(capped.map((hit) => hit.day)).size).toBe(10);
  });

  it.each([
    [{ q: '' }, 'q'],
    [{ q: '   ' }, 'q'],
    [{ q: 'x'.repeat(501) }, 'q'],
    [{ q: 'invoice', types: 'email,spaceship' }, 'types.1'],
    [{ q: 'invoice', limit: '0' }, 'limit'],
    [{ q: 'invoice', limit: '51' }, 'limit'],
    [{ q: 'invoice', limit: 'ten' }, 'limit'],
    [{ q: 'invoice', tenant: 'someone-else' }, 'tenant'],
  ])('rejects %j with 400 naming %s', async (query, field) => {
    const { status, body } = await rest(a, query);
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain(field);
  });

  it('rejects a missing q with 400', async () => {
    expect((await rest(a, {})).status).toBe(400);
  });

  it('answers BAD_USER_INPUT over GraphQL for an oversized query or limit', async () => {
    for (const variables of [{ q: 'y'.repeat(501) }, { q: 'invoice', limit: 100 }]) {
      const result = await execute(env.api, UnifiedSearchDocument, variables, a.access);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('answers 401 without a token', async () => {
    expect((await rest(undefined, { q: 'invoice' })).status).toBe(401);
    const result = await execute(env.api, UnifiedSearchDocument, { q: 'invoice' });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  describe('with Chroma unreachable', () => {
    let services: Services;
    let api: PebbleApp;

    beforeAll(async () => {
      const config = { ...env.config, CHROMA_URL: `http://127.0.0.1:${await freePort()}`, SEARCH_VECTOR_TIMEOUT_MS: 1000 };
      const logger = createLogger('silent');
      services = createServices(config, TEST_JWT_SECRET, env.db, logger);
      api = await buildApp({ config, logger, db: env.db, services });
    });
    afterAll(async () => {
      await api.close();
      await services.close();
    });

    it('answers with keyword hits and degraded: true over REST and GraphQL', async () => {
      const response = await searchRest({ api }, a.access, { q: 'SO-77123' });
      expect(response.statusCode).toBe(200);
      const results = response.json<RestResults>();
      expect(results.degraded).toBe(true);
      expect(results.hits[0]).toMatchObject({ id: ids.customs, vector_rank: null, keyword_rank: 1 });

      const graphql = await execute(api, UnifiedSearchDocument, { q: 'overdue invoice', types: ['email'] }, a.access);
      expect(graphql.data!.unifiedSearch.degraded).toBe(true);
      expect(graphql.data!.unifiedSearch.hits[0]).toMatchObject({ id: ids.invoice, vectorRank: null });
    });
  });
});
