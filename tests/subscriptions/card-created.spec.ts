import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { Database } from '../../src/platform/db/database';
import { topics } from '../../src/platform/graphql/topics';
import { writeCards, type PlannedEmail } from '../../src/pipeline/card-batch-writer';
import { callerFactory, type Caller } from '../factories';
import { emailFactory, ingest } from '../ingestion/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { startTestWorker, type TestWorker } from '../setup/worker';
import { CARD_CREATED, listenUrl, openSocket, OPS_STATS_CHANGED, record, sleep, subscribed, type Recording, type Result } from './live';

type CardMessage = { id: string; title: string; column: string; category: string; emailCount: number; emails: { id: string }[] };

const cardOf = (message: Result) => message.data?.cardCreated as CardMessage | undefined;

/** Emails queued or being processed, per an opsStatsChanged message. */
const inFlight = (message: Result) => {
  const stats = message.data?.opsStatsChanged as { queued: number; active: number };
  return stats.queued + stats.active;
};

/** What the pipeline hands the writer for one new email. */
function plannedEmail(subject: string): PlannedEmail {
  const id = randomUUID();
  return {
    emailId: id,
    correlationId: `test-${id}`,
    subject,
    fromAddress: 'ann@customer.example',
    inReplyTo: null,
    referenceIds: [],
    hash: `test-${id}`,
    classification: { category: 'support', priority: 'normal', sentiment: 0, confidence: 1, provider: 'builtin', model: 'test' },
    claimed: true,
  };
}

describe('subscription cardCreated', () => {
  let env: TestEnv;
  let url: string;
  let worker: TestWorker;
  const clients: Client[] = [];

  async function subscribe(caller: Caller, query: string, topic: Parameters<typeof subscribed>[1]): Promise<Recording> {
    const { client } = openSocket(url, caller.access);
    clients.push(client);
    const live = record(client, query);
    await subscribed(env, topic);
    return live;
  }

  beforeAll(async () => {
    env = await createTestEnv();
    url = await listenUrl(env);
    worker = await startTestWorker(env);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(async () => {
    await worker.stop();
    await env.close();
  });

  it("pushes a card made by the worker pipeline to the tenant's subscribers only, and the queue figures as they move", async () => {
    const a = await callerFactory(env, 'member');
    const aAdmin = await callerFactory(env, 'admin', a.tenant);
    const b = await callerFactory(env, 'admin');
    const aCards = await subscribe(a, CARD_CREATED, topics.cardCreated(a.tenant.id));
    const aStats = await subscribe(aAdmin, OPS_STATS_CHANGED, topics.opsStats(a.tenant.id));
    const bCards = await subscribe(b, CARD_CREATED, topics.cardCreated(b.tenant.id));
    const subject = `Pallet ${randomUUID().slice(0, 8)} arrived damaged`;

    const response = await ingest(env, aAdmin.access, emailFactory({ subject }));
    expect(response.statusCode).toBe(202);

    const message = await aCards.waitFor('the new card', (m) => cardOf(m)?.title === subject, 20_000);
    const card = cardOf(message)!;
    // `emails` is resolved with the socket's caller, like any field of a query.
    expect(card).toMatchObject({ title: subject, column: 'inbox', emailCount: 1, emails: [{ id: response.json().tracking_id }] });
    const [row] = await env.ownerDb.query<{ tenant_id: string; first_email_id: string }>('select tenant_id, first_email_id from cards where id = ?', [card.id]);
    expect(row).toEqual({ tenant_id: a.tenant.id, first_email_id: response.json().tracking_id });

    // Queued on ingest, then drained: pg-boss completes the job after the card commits, with no NOTIFY.
    await aStats.waitFor('the queued email', (m) => inFlight(m) > 0);
    await aStats.waitFor('an empty queue', (m) => m === aStats.messages.at(-1) && inFlight(m) === 0, 10_000);

    await sleep(300);
    expect(aCards.messages).toHaveLength(1);
    expect(bCards.messages).toEqual([]);
  });

  it('delivers nothing for cards whose transaction rolled back, and the same cards once committed', async () => {
    const a = await callerFactory(env, 'member');
    const live = await subscribe(a, CARD_CREATED, topics.cardCreated(a.tenant.id));
    const emails = [plannedEmail('Rolled back'), plannedEmail('Also rolled back')];

    await expect(
      env.db.transaction(async (client) => {
        await Database.setTenant(client, a.tenant.id);
        await writeCards(client, a.tenant.id, emails);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await sleep(800);
    expect(live.messages).toEqual([]);

    await env.db.transaction(async (client) => {
      await Database.setTenant(client, a.tenant.id);
      await writeCards(client, a.tenant.id, emails);
    });
    await live.waitFor('both cards', () => live.messages.length === 2);
    expect(live.messages.map((m) => cardOf(m)?.title)).toEqual(['Rolled back', 'Also rolled back']);
  });

  it("finds nothing when a notification names another tenant's cards", async () => {
    const a = await callerFactory(env, 'member');
    const b = await callerFactory(env, 'member');
    const live = await subscribe(a, CARD_CREATED, topics.cardCreated(a.tenant.id));
    await env.db.transaction(async (client) => {
      await Database.setTenant(client, b.tenant.id);
      await writeCards(client, b.tenant.id, [plannedEmail("B's card")]);
    });
    const [{ id }] = await env.ownerDb.query<{ id: string }>('select id from cards where tenant_id = ?', [b.tenant.id]);

    // A forged announcement: B's card id under A's tenant.
    await env.ownerDb.query(`select pg_notify('pebble_cards', ?)`, [JSON.stringify({ tenantId: a.tenant.id, cardIds: [id] })]);
    await sleep(800);

    expect(live.messages).toEqual([]);
  });
});
