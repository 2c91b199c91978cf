import { randomUUID } from 'node:crypto';
import { InsightSynthesizer } from '../../src/insights/insight-synthesizer';
import { callerFactory, type Caller } from '../factories';
import { indexedRefs } from '../records/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { companyFactory, daysBefore, insightEvents, insightOf, insightRows, processedEmail, shiftTenantBack, periodEndAfterNow, synthesize, type InsightRow } from './factories';

const NORMAL_WEEK = [
  { subject: 'Thanks for the quick delivery', body: 'Hello,\nthe pallets of order SO-1 arrived on time and in perfect condition. Great work, thank you!\nBest, Ann' },
  { subject: 'New order for next month', body: 'Hi,\nplease book 40 boxes of copier paper for delivery next month. We are very happy with your service.\nThanks, Ann' },
  { subject: 'Question about the invoice portal', body: "Hello,\nhow do I download last month's invoices from the portal? Thanks a lot for your help.\nAnn" },
];

const COMPLAINT_WEEK = [
  {
    subject: 'Order SO-3 is out of stock again',
    body: 'Hello,\nthis is unacceptable. Order SO-3 was cancelled because the item is out of stock, the third stock-out this month. We are very disappointed and need a solution today.\nAnn',
  },
  { subject: 'Complaint: backordered items', body: 'Hi,\nonce again half of our order is backordered. Your constant stock-outs are hurting our business and our customers are angry. This is a formal complaint.\nAnn' },
  {
    subject: 'Terrible service, still no delivery',
    body: 'We are extremely unhappy. The backorder on order SO-4 has now lasted two weeks, nobody answers our calls, and the items are still out of stock. Please escalate this complaint.',
  },
  { subject: 'Stock-out on toner again', body: 'Your warehouse reports a stock-out on the toner we ordered. This is the worst service we have had; we are considering other suppliers. Formal complaint.' },
];

describe(`${InsightSynthesizer.name} (US-BKP-008)`, () => {
  let env: TestEnv;
  let admin: Caller;
  let companyId: string;
  const domain = `acme-${randomUUID().slice(0, 8)}.example`;
  const weekTwoEnd = periodEndAfterNow();
  const weekOneEnd = daysBefore(weekTwoEnd, 7);
  let weekOne: InsightRow;
  let weekTwo: InsightRow;

  const order = (externalId: string, status: string) => ({
    source_system: 'sap',
    kind: 'order',
    external_id: externalId,
    title: `Order ${externalId}`,
    attributes: { status, lines: 3 },
    company_external_id: 'C-100',
  });
  const send = (email: { subject: string; body: string }) => processedEmail(env, admin, { ...email, from: `Ann Lee <ann@${domain}>` });

  beforeAll(async () => {
    env = await createTestEnv();
    admin = await callerFactory(env, 'admin');
    // A normal week: the account and two orders from the ERP, and three friendly emails.
    const { stored } = await env.services.records.upsert(admin.auth, {
      records: [
        { source_system: 'sap', kind: 'company', external_id: 'C-100', title: 'Acme Supplies', attributes: { domain } },
        order('SO-1', 'delivered'),
        order('SO-2', 'shipped'),
      ],
    });
    expect(stored.map((record) => record.status)).toEqual(['created', 'created', 'created']);
    for (const email of NORMAL_WEEK) await send(email);
    await shiftTenantBack(env, admin.tenant.id, 7);

    // Then a week of complaints about stock-outs, and the ERP backordering orders.
    for (const email of COMPLAINT_WEEK) await send(email);
    await env.services.records.upsert(admin.auth, { records: [order('SO-2', 'delivered'), order('SO-3', 'backordered'), order('SO-4', 'stock_out')] });

    [{ id: companyId }] = await env.ownerDb.query<{ id: string }>('select id from companies where tenant_id = ? and domain = ?', [admin.tenant.id, domain]);
    await synthesize(env, admin.tenant.id, weekOneEnd);
    await synthesize(env, admin.tenant.id, weekTwoEnd);
    weekOne = await insightOf(env, admin.tenant.id, companyId, weekOneEnd);
    weekTwo = await insightOf(env, admin.tenant.id, companyId, weekTwoEnd);
  });
  afterAll(() => env.close());

  it('scores the normal week as the first of the company, with friendly emails and nothing backordered', () => {
    expect(weekOne).toMatchObject({ entity_type: 'company', period_start: daysBefore(weekOneEnd, 7), previous_score: null, trend: null, direction: 'new' });
    expect(weekOne.signals).toMatchObject({
      emails: 3,
      complaintShare: 0,
      stockOutMentions: { emails: 0, records: 0, total: 0 },
      deadLetters: 0,
      eventsByKind: { 'card.created': 3, 'record.upserted': 3 },
    });
    expect(weekOne.signals.meanSentiment).toBeGreaterThan(0.3);
    expect(weekOne.score).toBeGreaterThanOrEqual(80);
  });

  it('scores the week of stock-out complaints lower, with a negative trend and direction declining', () => {
    expect(weekTwo.signals).toMatchObject({
      emails: 4,
      // The classifier reads the first one as about an order: it is, angrily.
      categoryMix: { complaint: 3, order: 1 },
      complaintShare: 0.75,
      // Every email mentions them, and two of the three orders written that week (SO-2 was delivered).
      stockOutMentions: { emails: 4, records: 2, total: 6 },
      eventsByKind: { 'card.created': 4, 'record.upserted': 3 },
    });
    expect(weekTwo.signals.meanSentiment).toBeLessThan(-0.3);
    expect(weekTwo.previous_signals).toEqual(weekOne.signals);
    expect(weekTwo.score).toBeLessThan(weekOne.score);
    expect(weekTwo.previous_score).toBe(weekOne.score);
    expect(weekTwo.trend).toBe(weekTwo.score - weekOne.score);
    expect(weekTwo.trend).toBeLessThan(-2);
    expect(weekTwo.direction).toBe('declining');
  });

  it('puts the strongest driver first: the components that lost the most points', () => {
    const lost = weekTwo.components.map((component) => component.lost);
    expect(lost).toEqual([...lost].sort((a, b) => b - a));
    expect(weekTwo.components.find((component) => component.key === 'supply')).toMatchObject({ health: 0, lost: 20 });
    expect(weekTwo.score).toBe(Math.round(weekTwo.components.reduce((sum, component) => sum + component.points, 0)));
  });

  it('stores the builtin summary, which names the company, the decline and the stock-outs', () => {
    expect(weekTwo).toMatchObject({ provider: 'builtin', fallback_reason: null, source_system: 'insights' });
    expect(weekTwo.summary).toContain('Acme Supplies');
    expect(weekTwo.summary).toContain(`down ${-weekTwo.trend!} from ${weekOne.score}`);
    expect(weekTwo.summary).toMatch(/stock-outs/i);
    expect(weekTwo.timings).toEqual({ aggregateMs: expect.any(Number), llmMs: expect.any(Number), totalMs: expect.any(Number) });
  });

  it('records each insight as an insight.synthesized event about the company, queued for indexing', async () => {
    const events = await insightEvents(env, admin.tenant.id);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({
      entity_type: 'company',
      entity_id: companyId,
      source_system: 'insights',
      payload: { insightId: weekTwo.id, runId: weekTwo.run_id, score: weekTwo.score, direction: 'declining', summary: weekTwo.summary },
    });
    expect(await indexedRefs(env, admin.tenant.id)).toEqual(expect.arrayContaining(events.map((event) => `activity:${event.id}`)));
  });

  it('rewrites the same row when the period is synthesized again, with what changed since', async () => {
    await env.services.records.upsert(admin.auth, { records: [order('SO-5', 'backordered')] });

    await synthesize(env, admin.tenant.id, weekTwoEnd);

    const again = await insightOf(env, admin.tenant.id, companyId, weekTwoEnd);
    expect(again.id).toBe(weekTwo.id);
    expect(again.created_at).toEqual(weekTwo.created_at);
    expect(again.updated_at.getTime()).toBeGreaterThan(weekTwo.updated_at.getTime());
    expect(again.run_id).not.toBe(weekTwo.run_id);
    expect(again.signals.stockOutMentions).toEqual({ emails: 4, records: 3, total: 7 });
    expect(again.summary).not.toBe(weekTwo.summary);
    expect(again.summary).toContain('7 mentions');
    expect(await insightRows(env, admin.tenant.id)).toHaveLength(2);
    // The rewrite is an event of its own: the ActivityStream is append-only.
    expect(await insightEvents(env, admin.tenant.id)).toHaveLength(3);
  });

  it('changes nothing when the same run is delivered again: its stored companies are skipped', async () => {
    const runId = randomUUID();
    const first = await synthesize(env, admin.tenant.id, weekTwoEnd, { runId });
    const before = await insightOf(env, admin.tenant.id, companyId, weekTwoEnd);
    const events = (await insightEvents(env, admin.tenant.id)).length;

    const second = await synthesize(env, admin.tenant.id, weekTwoEnd, { runId });

    expect(first).toMatchObject({ synthesized: 1, skipped: 0 });
    expect(second).toMatchObject({ synthesized: 0, skipped: 1 });
    expect(await insightOf(env, admin.tenant.id, companyId, weekTwoEnd)).toEqual(before);
    expect(await insightEvents(env, admin.tenant.id)).toHaveLength(events);
  });

  it('synthesizes only the company asked for, even one without activity, as its first insight', async () => {
    const quiet = await companyFactory(env, admin.auth, { name: 'Quiet Ltd' });

    const outcome = await synthesize(env, admin.tenant.id, weekTwoEnd, { entityId: quiet.id });

    expect(outcome).toMatchObject({ synthesized: 1, skipped: 0 });
    const insight = await insightOf(env, admin.tenant.id, quiet.id, weekTwoEnd);
    // No emails: neutral sentiment (15 of 30 points lost), everything else healthy.
    expect(insight).toMatchObject({ score: 85, previous_score: null, direction: 'new' });
    expect(insight.signals).toMatchObject({ emails: 0, meanSentiment: null, complaintShare: null, eventsByKind: {} });
  });

  it('leaves out companies without activity in either period when it synthesizes the whole tenant', async () => {
    await companyFactory(env, admin.auth, { name: 'Dormant GmbH' });

    const outcome = await synthesize(env, admin.tenant.id, weekTwoEnd);

    expect(outcome).toMatchObject({ synthesized: 1 });
    const names = await env.ownerDb.query<{ name: string }>(
      'select c.name from insight_syntheses i join companies c on c.id = i.entity_id where i.tenant_id = ? order by c.name',
      [admin.tenant.id],
    );
    expect([...new Set(names.map((row) => row.name))]).toEqual(['Acme Supplies', 'Quiet Ltd']);
  });
});
