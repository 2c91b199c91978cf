import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { writeCards } from '../../src/pipeline/card-batch-writer';
import { hashMessageId } from '../../src/pipeline/message-id';
import { callerFactory, type Caller } from '../factories';
import { emailFactory, ingest, track, type EmailSubmissionBody } from '../ingestion/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually, startTestWorker, type TestWorker } from '../setup/worker';

interface Tracked {
  status: string;
  card_id: string | null;
}

describe(`${writeCards.name}: mail that arrives out of order, the reply before its original`, () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.close());

  const messageId = () => `<${randomUUID()}@mail.customer.example>`;

  const send = async (caller: Caller, body: EmailSubmissionBody): Promise<string> => {
    const response = await ingest(env, caller.access, body);
    expect(response.statusCode).toBe(202);
    return response.json().tracking_id;
  };

  const settled = (caller: Caller, trackingId: string) =>
    eventually(`email ${trackingId} to be processed`, async () => {
      const tracked: Tracked = (await track(env, caller.access, trackingId)).json();
      return ['carded', 'duplicate', 'dead'].includes(tracked.status) ? tracked : null;
    });

  const cardsOf = (caller: Caller) =>
    env.ownerDb.query<{ id: string; email_count: number; first_email_id: string }>(
      'select id, email_count, first_email_id from cards where tenant_id = ? order by created_at, id',
      [caller.tenant.id],
    );

  const threadedOf = (caller: Caller) =>
    env.ownerDb.query<{ entity_id: string; email_id: string }>(
      `select entity_id, payload->>'emailId' as email_id from activity_events where tenant_id = ? and kind = 'email.threaded'`,
      [caller.tenant.id],
    );

  /** Emails on each card, and the card their claim in processed_emails points to. */
  const emailsOf = (caller: Caller) =>
    env.ownerDb.query<{ id: string; status: string; card_id: string; claim_card_id: string }>(
      `select e.id, e.status, e.card_id, p.card_id as claim_card_id from emails e join processed_emails p on p.email_id = e.id
       where e.tenant_id = ? order by e.created_at`,
      [caller.tenant.id],
    );

  /** One card holding exactly these emails, the later ones threaded onto it. */
  const expectOneCard = async (caller: Caller, first: string, threaded: string[]) => {
    const [card, ...others] = await cardsOf(caller);
    expect(others).toEqual([]);
    expect(card).toEqual({ id: card.id, email_count: 1 + threaded.length, first_email_id: first });
    expect((await threadedOf(caller)).sort((x, y) => (x.email_id < y.email_id ? -1 : 1))).toEqual(
      [...threaded].sort().map((emailId) => ({ entity_id: card.id, email_id: emailId })),
    );
    const emails = await emailsOf(caller);
    expect(emails.map((e) => e.id).sort()).toEqual([first, ...threaded].sort());
    for (const email of emails) expect(email).toMatchObject({ status: 'carded', card_id: card.id, claim_card_id: card.id });
    return card;
  };

  describe('when the reply was carded in an earlier fetch', () => {
    let worker: TestWorker;

    beforeAll(async () => {
      worker = await startTestWorker(env);
    });
    afterAll(() => worker.stop());

    it("threads the original onto the reply's card: one card, email_count 2, email.threaded for the original", async () => {
      const caller = await callerFactory(env, 'integration');
      const original = emailFactory({ message_id: messageId(), subject: 'Order 77 is late' });
      const replyId = await send(caller, emailFactory({ subject: 'Re: Order 77 is late', in_reply_to: original.message_id }));
      const reply = await settled(caller, replyId);
      expect(reply.status).toBe('carded');

      const originalId = await send(caller, original);
      const tracked = await settled(caller, originalId);

      expect(tracked).toMatchObject({ status: 'carded', card_id: reply.card_id });
      const card = await expectOneCard(caller, replyId, [originalId]);
      expect(card.id).toBe(reply.card_id);
    });

    it('finds the reply when it names the original only in References', async () => {
      const caller = await callerFactory(env, 'integration');
      const original = emailFactory({ message_id: messageId() });
      const replyId = await send(caller, emailFactory({ references: `<root-${randomUUID()}@elsewhere.example> ${original.message_id as string} <other-${randomUUID()}@elsewhere.example>` }));
      const reply = await settled(caller, replyId);

      const originalId = await send(caller, original);

      expect(await settled(caller, originalId)).toMatchObject({ status: 'carded', card_id: reply.card_id });
      await expectOneCard(caller, replyId, [originalId]);
    });

    it.each([
      ['the original', `<< ${randomUUID()}@odd.example >>`, (id: string) => `<${id.replace(/[<>\s]/g, '')}>`],
      ['the reply', `<${randomUUID()}@odd.example>`, (id: string) => `<<\t${id.replace(/[<>]/g, '')}\u00a0>>`],
    ])('matches Message-IDs as hashMessageId does when %s writes it oddly (<<id>>, spaces inside the brackets)', async (_who, originalMessageId, asReplyNamesIt) => {
      const caller = await callerFactory(env, 'integration');
      const named = asReplyNamesIt(originalMessageId);
      expect(hashMessageId(named)).toBe(hashMessageId(originalMessageId));
      const replyId = await send(caller, emailFactory({ in_reply_to: named }));
      const reply = await settled(caller, replyId);
      const [recorded] = await env.ownerDb.query<{ referenced_hash: string; card_id: string }>('select referenced_hash, card_id from thread_references where tenant_id = ?', [caller.tenant.id]);
      expect(recorded).toEqual({ referenced_hash: hashMessageId(originalMessageId), card_id: reply.card_id });

      const originalId = await send(caller, emailFactory({ message_id: originalMessageId }));

      expect(await settled(caller, originalId)).toMatchObject({ status: 'carded', card_id: reply.card_id });
      await expectOneCard(caller, replyId, [originalId]);
    });

    it('joins the oldest card when two replies each got a card before the original, and merges nothing', async () => {
      const caller = await callerFactory(env, 'integration');
      const original = emailFactory({ message_id: messageId() });
      const first = await settled(caller, await send(caller, emailFactory({ in_reply_to: original.message_id })));
      const second = await settled(caller, await send(caller, emailFactory({ references: [original.message_id as string] })));
      expect(second.card_id).not.toBe(first.card_id);

      const originalId = await send(caller, original);

      expect(await settled(caller, originalId)).toMatchObject({ status: 'carded', card_id: first.card_id });
      expect((await cardsOf(caller)).map((card) => [card.id, card.email_count])).toEqual([
        [first.card_id, 2],
        [second.card_id, 1],
      ]);
      expect(await threadedOf(caller)).toEqual([{ entity_id: first.card_id, email_id: originalId }]);
    });

    it('threads a chain that arrives last to first: the reply to the reply, the reply, then the original', async () => {
      const caller = await callerFactory(env, 'integration');
      const original = emailFactory({ message_id: messageId() });
      const reply = emailFactory({ message_id: messageId(), in_reply_to: original.message_id });
      const last = await send(caller, emailFactory({ in_reply_to: reply.message_id }));
      const card = (await settled(caller, last)).card_id;
      const replyId = await send(caller, reply);
      expect(await settled(caller, replyId)).toMatchObject({ status: 'carded', card_id: card });

      const originalId = await send(caller, original);

      expect(await settled(caller, originalId)).toMatchObject({ status: 'carded', card_id: card });
      await expectOneCard(caller, last, [replyId, originalId]);
    });

    it("never threads across tenants: a reply in one tenant naming another tenant's Message-ID leaves both apart", async () => {
      const [a, b] = await Promise.all([callerFactory(env, 'integration'), callerFactory(env, 'integration')]);
      for (const [replying, original] of [
        [b, a],
        [a, b],
      ] as const) {
        const shared = messageId();
        const reply = await settled(replying, await send(replying, emailFactory({ in_reply_to: shared, references: [shared] })));
        const own = await settled(original, await send(original, emailFactory({ message_id: shared })));

        expect(own.status).toBe('carded');
        expect(own.card_id).not.toBe(reply.card_id);
      }
      for (const caller of [a, b]) {
        expect((await cardsOf(caller)).map((card) => card.email_count)).toEqual([1, 1]);
        expect(await threadedOf(caller)).toEqual([]);
        for (const email of await emailsOf(caller)) expect(email.card_id).toBe(email.claim_card_id);
      }
    });
  });

  describe('when the reply and its original are in one fetch', () => {
    const queue = async (caller: Caller, bodies: EmailSubmissionBody[]) => {
      const ids: string[] = [];
      for (const body of bodies) ids.push(await send(caller, body));
      return ids;
    };
    const payload = (caller: Caller, emailId: string) => ({ tenantId: caller.tenant.id, emailId, correlationId: `test-${randomUUID()}` });

    it('makes one card of them with the real worker, queued before it starts', async () => {
      const caller = await callerFactory(env, 'integration');
      const original = emailFactory({ message_id: messageId() });
      const [replyId, originalId] = await queue(caller, [emailFactory({ in_reply_to: original.message_id }), original]);

      const worker = await startTestWorker(env);
      try {
        await Promise.all([settled(caller, replyId), settled(caller, originalId)]);
      } finally {
        await worker.stop();
      }

      const [{ fetches }] = await env.ownerDb.query<{ fetches: string }>('select count(distinct processing_started_at) as fetches from emails where id in (?, ?)', [replyId, originalId]);
      expect(Number(fetches)).toBe(1);
      const [card] = await cardsOf(caller);
      const first = card.first_email_id;
      await expectOneCard(caller, first, [first === replyId ? originalId : replyId]);
    });

    it.each(['In-Reply-To', 'References'])('makes one card of a reply naming its original in %s and the original, written by two transactions at once', async (header) => {
      const caller = await callerFactory(env, 'integration');
      const original = emailFactory({ message_id: messageId() });
      const names = header === 'In-Reply-To' ? { in_reply_to: original.message_id } : { references: [messageId(), original.message_id as string] };
      const [replyId, originalId] = await queue(caller, [emailFactory(names), original]);
      // A transaction holding `cards` in share mode stops every card insert: both writes get as far as they can
      // before either commits. Without the thread locks both have looked each other up by then, and found nothing.
      const gate = new Client({ connectionString: env.ownerUrl });
      await gate.connect();
      try {
        await gate.query('begin');
        await gate.query('lock table cards in share mode');
        const writes = [replyId, originalId].map((id) => env.services.pipeline.processBatch(caller.tenant.id, [payload(caller, id)]));
        // pg_locks, not pg_stat_activity: the gate's transaction would keep seeing its first look at the latter.
        await eventually('both writes to wait for a lock', async () => {
          const { rows } = await gate.query<{ waiting: string }>('select count(distinct pid) as waiting from pg_locks where not granted');
          return Number(rows[0]!.waiting) === 2 || null;
        });
        await gate.query('commit');
        const outcomes = (await Promise.all(writes)).map((results) => [...results.values()][0]);
        expect(outcomes.map((outcome) => (outcome as { cardId: string }).cardId)).toEqual([expect.any(String), (outcomes[0] as { cardId: string }).cardId]);
      } finally {
        await gate.end();
      }
      const [card] = await cardsOf(caller);
      await expectOneCard(caller, card.first_email_id, [card.first_email_id === replyId ? originalId : replyId]);
    });

    it.each(['reply, then original', 'original, then reply'])('makes one card of them in job order %s', async (order) => {
      const caller = await callerFactory(env, 'integration');
      const original = emailFactory({ message_id: messageId() });
      const [replyId, originalId] = await queue(caller, [emailFactory({ references: [original.message_id as string] }), original]);
      const jobs = order.startsWith('reply') ? [replyId, originalId] : [originalId, replyId];

      const results = await env.services.pipeline.processBatch(caller.tenant.id, jobs.map((id) => payload(caller, id)));

      const [first, second] = [...results.values()];
      expect(first).toMatchObject({ kind: 'carded', threaded: false });
      expect(second).toEqual({ kind: 'carded', cardId: (first as { cardId: string }).cardId, threaded: true });
      await expectOneCard(caller, jobs[0]!, [jobs[1]!]);
    });
  });
});
