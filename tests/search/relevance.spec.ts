import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SearchService } from '../../src/search/search.service';
import { callerFactory, type Caller } from '../factories';
import { emailFactory, ingest, mailCorpus } from '../ingestion/factories';
import { postRecords } from '../records/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { startTestWorker, type TestWorker } from '../setup/worker';
import { BUSINESS_EMAILS, REAL_EMAILS, RECORDS } from './fixtures/relevance-corpus';
import { CATEGORIES, QUERIES, type Category, type LabelledQuery } from './fixtures/relevance-queries';
import { searchRest, settled, type RestHit, type RestResults } from './helpers';

/**
 * recall@K of a query: the share of its expected objects among the first K hits, out of at most K (a query with
 * eight expected objects is perfect when the first five hits are all among them). Reciprocal rank: 1 / the
 * rank of the first expected hit.
 */
const K = 5;
/** Reciprocal rank counts a first expected hit down to rank 10 (MRR@10). */
const RR_DEPTH = 10;
/** Hits asked for per query: all the API gives, so that the report can say how far down a missed object was. */
const LIMIT = 50;

/**
 * Floors. Measured with the builtin embedder when the suite was written (the report this prints), recall@5 /
 * MRR: overall 0.860 / 0.809–0.813; identifier 1.000 / 1.000, misspelling 0.727 / 0.633–0.650, paraphrase
 * 0.743 / 0.616, cross-type 0.917 / 0.938, keyword 1.000 / 1.000 (an MRR moves a little between runs, as
 * objects with equal scores are ordered by their random ids). Each floor is the lower measured value less a
 * margin of 0.1, or of one query's worth where a category has fewer than ten queries (one of eight is 0.125),
 * so that ties broken the other way pass while losing what the engine handled fails. Overall recall@5 keeps
 * US-BKP-007's own floor, 0.8.
 */
const FLOORS = {
  overall: { recall: 0.8, mrr: 0.7 },
  byCategory: {
    identifier: { recall: 0.88, mrr: 0.88 },
    misspelling: { recall: 0.62, mrr: 0.53 },
    paraphrase: { recall: 0.64, mrr: 0.51 },
    'cross-type': { recall: 0.79, mrr: 0.81 },
    keyword: { recall: 0.88, mrr: 0.88 },
  } satisfies Record<Category, { recall: number; mrr: number }>,
};

/** Queries that are one identifier (an order number, invoice id, SKU, address...), whatever their category. */
const IDENTIFIER_QUERIES = QUERIES.filter((query) => /^\S+$/.test(query.q) && /\d|@/.test(query.q));

interface QueryRun {
  query: LabelledQuery;
  degraded: boolean;
  /** Fixture refs (`email:bramble-vat`) of the hits, best first. */
  ranked: string[];
  hits: RestHit[];
  recall: number;
  reciprocalRank: number;
}

/**
 * US-BKP-007's relevance suite: a corpus of real and business mail, CRM/ERP records and the cards the pipeline
 * makes, loaded through the real endpoints and worker, and labelled queries over the real unified search.
 */
describe(`${SearchService.name} relevance`, () => {
  let env: TestEnv;
  let worker: TestWorker;
  let caller: Caller;
  /** `<type>:<fixture key>` → `<type>:<id>`, and back. */
  const idOf = new Map<string, string>();
  const refOf = new Map<string, string>();
  const runs: QueryRun[] = [];

  const remember = (ref: string, type: string, id: string) => {
    idOf.set(ref, `${type}:${id}`);
    refOf.set(`${type}:${id}`, ref);
  };

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startTestWorker(env);
    caller = await callerFactory(env, 'admin');

    // CRM/ERP first, as a tenant's sync precedes its mail: the pipeline links each card to its sender's company.
    const keys = Object.keys(RECORDS);
    const response = await postRecords(env, caller.access, { records: Object.values(RECORDS) });
    expect(response.statusCode).toBe(200);
    const stored = response.json<{ stored: { index: number; id: string }[] }>().stored;
    for (const { index, id } of stored) remember(`record:${keys[index]}`, 'record', id);
    const accounts = await env.ownerDb.query<{ id: string; company_id: string }>(`select id, company_id from business_records where tenant_id = ? and kind = 'company'`, [
      caller.tenant.id,
    ]);
    for (const { id, company_id } of accounts) remember(refOf.get(`record:${id}`)!.replace(/^record:/, 'company:'), 'company', company_id);

    const corpus = mailCorpus();
    const emails = [
      ...Object.entries(REAL_EMAILS).map(([key, file]) => ({ key, send: () => ingest(env, caller.access, readFileSync(path.join(corpus, file)), { 'content-type': 'message/rfc822' }) })),
      ...Object.entries(BUSINESS_EMAILS).map(([key, fields]) => ({ key, send: () => ingest(env, caller.access, emailFactory(fields)) })),
    ];
    for (const { key, send } of emails) {
      const receipt = await send();
      expect({ key, status: receipt.statusCode }).toEqual({ key, status: 202 });
      remember(`email:${key}`, 'email', receipt.json<{ tracking_id: string }>().tracking_id);
    }

    await settled(env);
    const carded = await env.ownerDb.query<{ id: string; card_id: string | null }>('select id, card_id from emails where tenant_id = ?', [caller.tenant.id]);
    for (const { id, card_id } of carded) if (card_id) remember(refOf.get(`email:${id}`)!.replace(/^email:/, 'card:'), 'card', card_id);

    for (const query of QUERIES) runs.push(await run(query));
    console.log(report(runs));
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await env?.close();
  });

  async function run(query: LabelledQuery): Promise<QueryRun> {
    const response = await searchRest(env, caller.access, { q: query.q, limit: String(LIMIT) });
    expect(response.statusCode).toBe(200);
    const { hits, degraded } = response.json<RestResults>();
    const ranked = hits.map((hit) => refOf.get(`${hit.type}:${hit.id}`) ?? `${hit.type}:?${hit.title}`);
    const expected = new Set(query.expected);
    const found = ranked.slice(0, K).filter((ref) => expected.has(ref)).length;
    const first = ranked.slice(0, RR_DEPTH).findIndex((ref) => expected.has(ref));
    return { query, degraded, ranked, hits, recall: found / Math.min(expected.size, K), reciprocalRank: first === -1 ? 0 : 1 / (first + 1) };
  }

  it('loads every fixture: each email carded, each object embedded, each label naming a loaded object', async () => {
    const unresolved = QUERIES.flatMap((query) => query.expected).filter((ref) => !idOf.has(ref));
    expect(unresolved).toEqual([]);
    const emailCount = Object.keys(REAL_EMAILS).length + Object.keys(BUSINESS_EMAILS).length;
    expect([...idOf.keys()].filter((ref) => ref.startsWith('card:'))).toHaveLength(emailCount);
    const [{ stale }] = await env.ownerDb.query<{ stale: string }>(
      `select count(*) as stale from search_documents where tenant_id = ? and embedded_hash is distinct from content_hash`,
      [caller.tenant.id],
    );
    expect(Number(stale)).toBe(0);
  });

  it('labels, for every query that is one identifier, each indexed object whose text contains it', async () => {
    expect(IDENTIFIER_QUERIES.length).toBeGreaterThanOrEqual(8);
    for (const query of IDENTIFIER_QUERIES) {
      const containing = await env.ownerDb.query<{ doc_type: string; entity_id: string }>(
        `select doc_type, entity_id from search_documents where tenant_id = ? and doc_type <> 'activity' and strpos(lower(title || ' ' || content), lower(?)) > 0`,
        [caller.tenant.id, query.q],
      );
      expect({ q: query.q, refs: containing.map((row) => refOf.get(`${row.doc_type}:${row.entity_id}`)).sort() }).toEqual({ q: query.q, refs: [...query.expected].sort() });
    }
  });

  it('asks at least 30 labelled queries, every category among them', () => {
    expect(QUERIES.length).toBeGreaterThanOrEqual(30);
    for (const category of CATEGORIES) expect(QUERIES.filter((query) => query.category === category).length).toBeGreaterThanOrEqual(5);
  });

  it('answers every query with both halves (not degraded)', () => {
    expect(runs.filter((result) => result.degraded).map((result) => result.query.q)).toEqual([]);
  });

  it(`finds every object that carries an identifier typed exactly within the top ${K}`, () => {
    const identifiers = new Set(IDENTIFIER_QUERIES);
    const short = runs.filter((result) => identifiers.has(result.query) && result.recall < 1).map((result) => result.query.q);
    expect(short).toEqual([]);
  });

  it(`reaches recall@${K} ≥ ${FLOORS.overall.recall} and MRR ≥ ${FLOORS.overall.mrr} over all queries`, () => {
    expect(mean(runs.map((result) => result.recall))).toBeGreaterThanOrEqual(FLOORS.overall.recall);
    expect(mean(runs.map((result) => result.reciprocalRank))).toBeGreaterThanOrEqual(FLOORS.overall.mrr);
  });

  it.each(CATEGORIES)('keeps %s queries above their floors', (category) => {
    const ofCategory = runs.filter((result) => result.query.category === category);
    expect(mean(ofCategory.map((result) => result.recall))).toBeGreaterThanOrEqual(FLOORS.byCategory[category].recall);
    expect(mean(ofCategory.map((result) => result.reciprocalRank))).toBeGreaterThanOrEqual(FLOORS.byCategory[category].mrr);
  });

  it(`returns a customer's CRM/ERP records and its mail together in the top ${K} when asked by its name or a document number`, () => {
    // A customer's name is answered by its Company among others; a document number is a single token.
    const named = runs.filter(
      ({ query }) => query.category === 'cross-type' && (query.expected.some((ref) => ref.startsWith('company:')) || !/\s/.test(query.q)),
    );
    expect(named.length).toBeGreaterThanOrEqual(5);
    expect(named.flatMap((result) => missingFamilies(result).map((family) => `${result.query.q}: no ${family}`))).toEqual([]);
  });
});

/** Of the kinds of answer a query expects (CRM/ERP objects, mail), those without an expected hit in the top K. */
function missingFamilies(result: QueryRun): string[] {
  const family = (ref: string) => (ref.startsWith('email:') || ref.startsWith('card:') ? 'mail' : 'CRM/ERP object');
  const expected = new Set(result.query.expected);
  const shown = new Set(result.ranked.slice(0, K).filter((ref) => expected.has(ref)).map(family));
  return [...new Set(result.query.expected.map(family))].filter((wanted) => !shown.has(wanted));
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Per-query lines (with the top K of any query that was not perfect), then the table by category. */
function report(runs: QueryRun[]): string {
  const lines = ['Relevance of unified search (builtin embedder)', ''];
  for (const result of runs) {
    lines.push(`${result.query.category.padEnd(12)} R@${K} ${result.recall.toFixed(2)}  RR ${result.reciprocalRank.toFixed(2)}  ${result.query.q}`);
    if (result.recall < 1 || result.reciprocalRank < 1) {
      const expected = new Set(result.query.expected);
      result.hits.slice(0, K).forEach((hit, index) => {
        const ref = result.ranked[index]!;
        lines.push(`      ${expected.has(ref) ? '+' : '-'} ${index + 1}. ${ref.padEnd(32)} v=${hit.vector_rank ?? '-'} k=${hit.keyword_rank ?? '-'}  ${hit.title.slice(0, 60)}`);
      });
      const missed = result.query.expected.filter((ref) => !result.ranked.slice(0, K).includes(ref));
      const where = (ref: string) => {
        const at = result.ranked.indexOf(ref);
        return at === -1 ? ` (not in the top ${LIMIT})` : ` @${at + 1} v=${result.hits[at]!.vector_rank ?? '-'} k=${result.hits[at]!.keyword_rank ?? '-'}`;
      };
      if (missed.length > 0) lines.push(`      missed: ${missed.map((ref) => `${ref}${where(ref)}`).join(', ')}`);
    }
  }
  lines.push('', `${'category'.padEnd(12)} ${'queries'.padStart(7)} ${`recall@${K}`.padStart(9)} ${'MRR'.padStart(6)}`);
  for (const category of [...CATEGORIES, 'overall'] as const) {
    const rows = category === 'overall' ? runs : runs.filter((result) => result.query.category === category);
    lines.push(
      `${category.padEnd(12)} ${String(rows.length).padStart(7)} ${mean(rows.map((r) => r.recall)).toFixed(3).padStart(9)} ${mean(rows.map((r) => r.reciprocalRank)).toFixed(3).padStart(6)}`,
    );
  }
  const crossType = runs.filter((result) => result.query.category === 'cross-type');
  const covered = crossType.filter((result) => missingFamilies(result).length === 0).length;
  lines.push('', `cross-type queries with both CRM/ERP objects and mail among their expected top ${K}: ${covered} of ${crossType.length}`);
  return lines.join('\n');
}
