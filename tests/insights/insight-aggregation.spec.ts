import { randomUUID } from 'node:crypto';
import { aggregateSignals, MAX_SNIPPETS, type EntityAggregate } from '../../src/insights/insight-aggregator';
import { periodEndingAt } from '../../src/insights/insight-period';
import { Database } from '../../src/platform/db/database';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { companyFactory, insightOf, insightRows, processedEmail, queuedEmail, shiftTenantBack, periodEndAfterNow, synthesize } from './factories';

describe('insight aggregation: what counts for a company', () => {
  let env: TestEnv;
  const periodEnd = periodEndAfterNow();
  const period = periodEndingAt(periodEnd, 7);

  /** The aggregation as the synthesizer runs it: on the app role, under RLS for `rlsTenant`. */
  const aggregate = (tenantId: string, options: { rlsTenant?: string; entityId?: string } = {}): Promise<EntityAggregate[]> =>
    env.db.transaction(async (client) => {
      await Database.setTenant(client, options.rlsTenant ?? tenantId);
      return aggregateSignals(client, tenantId, period, options.entityId ?? null);
    });

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.close());

  describe('events about its cards, emails, records, dead letters and itself', () => {
    let admin: Caller;
    let other: Caller;
    let companyId: string;
    const domain = `shop-${randomUUID().slice(0, 8)}.example`;

    beforeAll(async () => {
      admin = await callerFactory(env, 'admin');
      other = await callerFactory(env, 'admin');
      companyId = (await companyFactory(env, admin.auth, { name: 'Shop & Co', domain })).id;
      await companyFactory(env, admin.auth, { name: 'Nobody Ltd' });
      const messageId = `<${randomUUID()}@${domain}>`;
      const from = `Ann Lee <ann@${domain}>`;

      // A card, a duplicate of its email, a reply threaded onto it, and a move.
      const first = await processedEmail(env, admin, { from, subject: 'Order 77', body: 'Please confirm order 77.', message_id: messageId });
      await processedEmail(env, admin, { from, subject: 'Order 77', body: 'Please confirm order 77.', message_id: messageId });
      await processedEmail(env, admin, { from, subject: 'Re: Order 77', body: 'Any news?', in_reply_to: messageId });
      const [{ card_id: cardId }] = await env.ownerDb.query<{ card_id: string }>('select card_id from emails where id = ?', [first]);
      await env.services.cards.move(admin.auth, cardId, 'waiting');
      // An ERP order linked to the company by its domain.
      await env.services.records.upsert(admin.auth, { records: [{ source_system: 'sap', kind: 'order', external_id: 'SO-9', title: 'Order SO-9', attributes: { domain } }] });
      // An email from a subdomain that died before it had a card: its dead letter belongs to the sender's company.
      const dead = await queuedEmail(env, admin, { from: `bob@eu.${domain}`, subject: 'Invoice 12', body: 'See attached.' });
      await env.services.deadLetters.record({
        queue: 'email_processing',
        data: { tenantId: admin.tenant.id, emailId: dead, correlationId: 'test' },
        output: { message: 'classifier unavailable', stack: 'Error: classifier unavailable', jobId: dead, attempt: 4, retryable: true },
      });
      // An event about the company itself.
      await env.ownerDb.query(
        `insert into activity_events (id, tenant_id, source_system, correlation_id, entity_type, entity_id, kind, payload) values (?, ?, 'crm', 'test', 'company', ?, 'company.noted', '{}')`,
        [randomUUID(), admin.tenant.id, companyId],
      );
      // Another tenant with a company of the same domain, and an email from it.
      await companyFactory(env, other.auth, { name: 'Shop & Co (theirs)', domain });
      await processedEmail(env, other, { from, subject: 'Order 78 is out of stock', body: 'Out of stock again.' });
    });

    it("counts every event about the company's cards, emails, records and dead letters, and about the company itself", async () => {
      const [company, ...others] = await aggregate(admin.tenant.id);

      expect(others).toEqual([]);
      expect(company.entity).toEqual({ type: 'company', id: companyId, name: 'Shop & Co', domain });
      expect(company.signals).toEqual({
        eventsByKind: { 'card.created': 1, 'duplicate.ignored': 1, 'email.threaded': 1, 'card.moved': 1, 'record.upserted': 1, 'sync.failed': 1, 'company.noted': 1 },
        // The card's email and the threaded reply; a duplicate is no new email.
        emails: 2,
        categoryMix: expect.any(Object),
        meanSentiment: expect.any(Number),
        complaintShare: expect.any(Number),
        stockOutMentions: { emails: 0, records: 0, total: 0 },
        openCards: 1,
        openCardMeanAgeDays: expect.any(Number),
        deadLetters: 1,
      });
      expect(Object.values(company.signals.categoryMix).reduce((sum, n) => sum + n, 0)).toBe(2);
      // Nothing happened the week before.
      expect(company.previousSignals).toBeNull();
    });

    it("never reads another tenant's rows: RLS hides them even from a query that names that tenant", async () => {
      const theirs = await aggregate(other.tenant.id);
      expect(theirs.map((found) => [found.entity.name, found.signals.emails, found.signals.stockOutMentions.emails])).toEqual([['Shop & Co (theirs)', 1, 1]]);

      expect(await aggregate(other.tenant.id, { rlsTenant: admin.tenant.id })).toEqual([]);
    });

    it('reads the same signals again after synthesizing: insights do not count their own events', async () => {
      await synthesize(env, admin.tenant.id, periodEnd);
      const [first] = await insightRows(env, admin.tenant.id);

      await synthesize(env, admin.tenant.id, periodEnd);

      expect((await insightOf(env, admin.tenant.id, companyId, periodEnd)).signals).toEqual(first.signals);
      expect(first.signals.eventsByKind).not.toHaveProperty('insight.synthesized');
    });
  });

  it("reads each card's column at the end of each period from its moves", async () => {
    const admin = await callerFactory(env, 'admin');
    const company = await companyFactory(env, admin.auth);
    const emailId = await processedEmail(env, admin, { from: `ann@${company.domain}`, subject: 'Order 5', body: 'Please deliver order 5.' });
    await shiftTenantBack(env, admin.tenant.id, 7);
    const [{ card_id: cardId }] = await env.ownerDb.query<{ card_id: string }>('select card_id from emails where id = ?', [emailId]);

    await env.services.cards.move(admin.auth, cardId, 'done');

    const [found] = await aggregate(admin.tenant.id);
    // Open (in the inbox) when the week before ended, done when this one ends.
    expect(found.previousSignals).toMatchObject({ emails: 1, openCards: 1 });
    expect(found.previousSignals!.openCardMeanAgeDays).toEqual(expect.any(Number));
    expect(found.signals).toMatchObject({ emails: 0, openCards: 0, openCardMeanAgeDays: null, eventsByKind: { 'card.moved': 1 } });
  });

  it(`grounds a summary in at most ${MAX_SNIPPETS} of the company's own texts, stock-out news first, records among them`, async () => {
    const admin = await callerFactory(env, 'admin');
    const company = await companyFactory(env, admin.auth, { name: 'Snippet Shop' });
    const from = `ann@${company.domain}`;
    for (let i = 1; i <= 8; i++) await processedEmail(env, admin, { from, subject: `Delivery ${i}`, body: `Delivery ${i} arrived, thanks. All fine.` });
    await processedEmail(env, admin, { from, subject: 'Toner is out of stock', body: `The toner we ordered is out of stock. ${'We need it soon. '.repeat(30)}` });
    await env.services.records.upsert(admin.auth, {
      records: ['open', 'backordered', 'shipped'].map((status, i) => ({
        source_system: 'sap',
        kind: 'order',
        external_id: `SO-${i}`,
        title: `Order SO-${i}`,
        attributes: { status, domain: company.domain },
      })),
    });

    const [found] = await aggregate(admin.tenant.id);

    expect(found.snippets).toHaveLength(MAX_SNIPPETS);
    expect(found.snippets.map((snippet) => snippet.kind)).toEqual(['email', 'email', 'email', 'email', 'email', 'email', 'record', 'record']);
    expect(found.snippets[0].text).toMatch(/^Toner is out of stock: The toner we ordered is out of stock\. We need it soon\./);
    expect(found.snippets[0].text).toHaveLength(300);
    expect(found.snippets[0].text.endsWith('…')).toBe(true);
    expect(found.snippets[6].text).toMatch(/^Order SO-1 \(order\): .*backordered/);
    expect(found.snippets.every((snippet) => snippet.text.length <= 300 && !Number.isNaN(Date.parse(snippet.at)))).toBe(true);
  });
});
