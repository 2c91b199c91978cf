import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { callerFactory, type Caller } from '../factories';
import { emailFactory, ingest, mailCorpus } from '../ingestion/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually, startTestWorker, type TestWorker } from '../setup/worker';

interface Tracked {
  status: string;
  card_id: string | null;
}

describe('email pipeline: from POST /api/v1/ingestion/email/ to one Kanban card (US-BKP-004, US-BKP-006)', () => {
  let env: TestEnv;
  let worker: TestWorker;
  let a: Caller;
  let b: Caller;

  beforeAll(async () => {
    env = await createTestEnv();
    worker = await startTestWorker(env);
    [a, b] = await Promise.all([callerFactory(env, 'integration'), callerFactory(env, 'integration')]);
  });
  afterAll(async () => {
    await worker.stop();
    await env.close();
  });

  const track = async (caller: Caller, trackingId: string): Promise<Tracked> =>
    (await env.api.app.inject({ method: 'GET', url: `/api/v1/ingestion/email/${trackingId}/`, headers: { authorization: `Bearer ${caller.access}` } })).json();

  const settled = (caller: Caller, trackingId: string) =>
    eventually(`email ${trackingId} to be processed`, async () => {
      const tracked = await track(caller, trackingId);
      return ['carded', 'duplicate', 'dead'].includes(tracked.status) ? tracked : null;
    });

  const send = async (caller: Caller, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> => {
    const response = await ingest(env, caller.access, body, headers);
    expect(response.statusCode).toBe(202);
    return response.json().tracking_id;
  };

  const cardsOf = async (tenantId: string) =>
    env.ownerDb.query<{ id: string; title: string; category: string; email_count: number; company_id: string | null }>(
      'select id, title, category, email_count, company_id from cards where tenant_id = ? order by created_at',
      [tenantId],
    );

  const eventsOf = (tenantId: string, kind: string) =>
    env.ownerDb.query<{ entity_id: string; payload: Record<string, unknown> }>('select entity_id, payload from activity_events where tenant_id = ? and kind = ?', [tenantId, kind]);

  it('turns an accepted email into a card in the inbox, classified, linked to the company and readable over GraphQL', async () => {
    const company = await env.services.companies.create(a.auth, { name: 'Acme', domain: 'acme.example' });
    const trackingId = await send(a, emailFactory({
      subject: 'Invoice 2024-118 is overdue',
      from: 'Billing <billing@eu.acme.example>',
      body: 'Hello, our invoice 2024-118 over 4,300 EUR is now 30 days overdue. Please arrange payment of the outstanding amount.',
    }));

    const tracked = await settled(a, trackingId);

    expect(tracked.status).toBe('carded');
    const [card] = await env.ownerDb.query<{ id: string; column: string; title: string; category: string; priority: string; company_id: string; first_email_id: string }>(
      'select id, "column", title, category, priority, company_id, first_email_id from cards where id = ?',
      [tracked.card_id],
    );
    expect(card).toMatchObject({ column: 'inbox', title: 'Invoice 2024-118 is overdue', category: 'invoice', company_id: company.id, first_email_id: trackingId });
    expect(await eventsOf(a.tenant.id, 'card.created')).toEqual([expect.objectContaining({ entity_id: card.id })]);

    const response = await env.api.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${a.access}`, 'content-type': 'application/json' },
      payload: { query: 'query($id: ID!) { card(id: $id) { title category column emails { subject status } activity { kind } } }', variables: { id: card.id } },
    });
    expect(response.json().data.card).toEqual({
      title: 'Invoice 2024-118 is overdue',
      category: 'invoice',
      column: 'inbox',
      emails: [{ subject: 'Invoice 2024-118 is overdue', status: 'carded' }],
      activity: [{ kind: 'card.created' }],
    });
  });

  it('links no card to a company by a free-mail domain, even one a company already holds', async () => {
    const caller = await callerFactory(env, 'integration');
    // A row from before such domains were refused: the service would not create it today.
    await env.ownerDb.query(
      `insert into companies (id, tenant_id, source_system, correlation_id, name, domain) values (gen_random_uuid(), ?, 'test', 'test', 'Ann Baker Consulting', 'gmail.com')`,
      [caller.tenant.id],
    );
    const trackingId = await send(caller, emailFactory({ subject: 'Where is my parcel?', from: 'Someone Else <someone.else@gmail.com>' }));

    const tracked = await settled(caller, trackingId);

    expect(tracked.status).toBe('carded');
    expect(await cardsOf(caller.tenant.id)).toEqual([expect.objectContaining({ id: tracked.card_id, company_id: null })]);
  });

  it('makes one card of an email sent twice and records the second as "Duplicate Ignored"', async () => {
    const caller = await callerFactory(env, 'integration');
    const email = emailFactory({ message_id: `<${randomUUID()}@mail.acme.example>` });
    const first = await settled(caller, await send(caller, email));
    const second = await settled(caller, await send(caller, { ...email, message_id: ` ${email.message_id as string} `.replace('<', '<<') }));

    expect(first.status).toBe('carded');
    expect(second).toMatchObject({ status: 'duplicate', card_id: first.card_id });
    expect(await cardsOf(caller.tenant.id)).toHaveLength(1);
    const duplicates = await eventsOf(caller.tenant.id, 'duplicate.ignored');
    expect(duplicates).toEqual([expect.objectContaining({ payload: expect.objectContaining({ message: 'Duplicate Ignored', cardId: first.card_id }) })]);
  });

  it('makes exactly one card of 50 concurrent ingestions of one Message-ID', async () => {
    const caller = await callerFactory(env, 'integration');
    const email = emailFactory();
    const ids = await Promise.all(Array.from({ length: 50 }, () => send(caller, email)));

    const outcomes = await Promise.all(ids.map((id) => settled(caller, id)));

    expect(outcomes.filter((o) => o.status === 'carded')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(49);
    expect(new Set(outcomes.map((o) => o.card_id)).size).toBe(1);
    expect(await cardsOf(caller.tenant.id)).toHaveLength(1);
    expect(await eventsOf(caller.tenant.id, 'duplicate.ignored')).toHaveLength(49);
  });

  it('treats one Message-ID in two tenants as two emails: two cards', async () => {
    const email = emailFactory();
    const [inA, inB] = await Promise.all([send(a, email), send(b, email)]);

    const [cardA, cardB] = [await settled(a, inA), await settled(b, inB)];

    expect(cardA.status).toBe('carded');
    expect(cardB.status).toBe('carded');
    expect(cardA.card_id).not.toBe(cardB.card_id);
  });

  it('threads real replies (RFC 2822 appendix A) onto the card of the message they answer', async () => {
    const caller = await callerFactory(env, 'integration');
    const mime = (file: string) => ingest(env, caller.access, readFileSync(path.join(mailCorpus(), file)), { 'content-type': 'message/rfc822' });
    const original = await settled(caller, (await mime('rfc2822/example01.eml')).json().tracking_id);
    const reply = await settled(caller, (await mime('rfc2822/example06.eml')).json().tracking_id);
    const replyToReply = await settled(caller, (await mime('rfc2822/example07.eml')).json().tracking_id);

    expect([original.status, reply.status, replyToReply.status]).toEqual(['carded', 'carded', 'carded']);
    expect(reply.card_id).toBe(original.card_id);
    expect(replyToReply.card_id).toBe(original.card_id);
    expect(await cardsOf(caller.tenant.id)).toEqual([expect.objectContaining({ id: original.card_id, email_count: 3 })]);
    expect(await eventsOf(caller.tenant.id, 'email.threaded')).toHaveLength(2);
  });

  it('threads a constructed JSON reply by References when In-Reply-To names an unknown message', async () => {
    const caller = await callerFactory(env, 'integration');
    const first = emailFactory();
    const original = await settled(caller, await send(caller, first));
    const reply = await settled(
      caller,
      await send(caller, emailFactory({ subject: 'Re: late order', in_reply_to: '<unknown@elsewhere.example>', references: `${first.message_id as string} <unknown@elsewhere.example>` })),
    );

    expect(reply).toMatchObject({ status: 'carded', card_id: original.card_id });
  });

  it('sends a job whose email does not exist to the dead-letter queue on its first attempt, with a SyncError', async () => {
    const caller = await callerFactory(env, 'admin');
    const emailId = randomUUID();
    await env.ownerDb.query(
      `insert into pgboss.job (id, name, data, retry_limit, retry_delay, retry_backoff, dead_letter) values (?, 'email_processing', ?, 3, 1, true, 'email_dlq')`,
      [emailId, JSON.stringify({ tenantId: caller.tenant.id, emailId, correlationId: 'test-permanent' })],
    );

    const [syncError] = await eventually('a SyncError', () =>
      env.ownerDb.query<{ job_id: string; attempts: number; error: string; traceback: string }>('select job_id, attempts, error, traceback from sync_errors where tenant_id = ?', [caller.tenant.id]).then((rows) => rows.length > 0 && rows),
    );

    expect(syncError).toMatchObject({ job_id: emailId, attempts: 1 });
    expect(syncError.error).toContain('does not exist');
    expect(syncError.traceback).toContain('PermanentJobError');
    const [job] = await env.ownerDb.query<{ retry_count: number; state: string }>(`select retry_count, state from pgboss.job where id = ?`, [emailId]);
    expect(job).toEqual({ retry_count: 0, state: 'failed' });
  });

  it('dead-letters a job without a tenant untouched, on its first attempt', async () => {
    const jobId = randomUUID();
    await env.ownerDb.query(
      `insert into pgboss.job (id, name, data, retry_limit, retry_delay, retry_backoff, dead_letter) values (?, 'email_processing', ?, 3, 1, true, 'email_dlq')`,
      [jobId, JSON.stringify({ emailId: randomUUID() })],
    );

    const [job] = await eventually('the malformed job to fail', () =>
      env.ownerDb.query<{ state: string; retry_count: number; output: { message: string } }>(`select state, retry_count, output from pgboss.job where id = ?`, [jobId]).then((rows) => rows[0]?.state === 'failed' && rows),
    );
    expect(job.retry_count).toBe(0);
    expect(job.output.message).toContain('tenantId');
    const [dead] = await eventually('its dead letter to be handled', () =>
      env.ownerDb
        .query<{ state: string; data: Record<string, unknown> }>(`select state, data from pgboss.job where name = 'email_dlq' and data->>'emailId' = (select data->>'emailId' from pgboss.job where id = ?)`, [jobId])
        .then((rows) => rows[0]?.state === 'completed' && rows),
    );
    expect(dead.data).not.toHaveProperty('tenantId');
  });

  it('lists the board by column, category and company, newest first, a page at a time', async () => {
    const caller = await callerFactory(env, 'admin');
    const acme = await env.services.companies.create(caller.auth, { name: 'Acme', domain: 'acme.example' });
    const invoice = await settled(caller, await send(caller, emailFactory({ from: 'ap@acme.example', subject: 'Invoice 88 overdue', body: 'Please pay invoice 88, the payment is overdue by 30 days.' })));
    const other = await settled(caller, await send(caller, emailFactory({ from: 'x@elsewhere.example' })));
    const gql = async (query: string) =>
      (await env.api.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${caller.access}`, 'content-type': 'application/json' }, payload: { query } })).json();

    const all = await gql('{ cards { id } }');
    const byCompany = await gql(`{ cards(companyId: "${acme.id}") { id companyId } }`);
    const invoices = await gql('{ cards(category: invoice, column: inbox) { id category } }');
    const firstPage = await gql('{ cards(first: 1) { id } }');
    const secondPage = await gql(`{ cards(first: 1, after: "${firstPage.data.cards[0].id}") { id } }`);

    expect(all.data.cards.map((c: { id: string }) => c.id).sort()).toEqual([invoice.card_id, other.card_id].sort());
    expect(byCompany.data.cards).toEqual([{ id: invoice.card_id, companyId: acme.id }]);
    expect(invoices.data.cards).toEqual([{ id: invoice.card_id, category: 'invoice' }]);
    // Newest first: the second card ingested is on the first page.
    expect(firstPage.data.cards).toEqual([{ id: other.card_id }]);
    expect(secondPage.data.cards).toEqual([{ id: invoice.card_id }]);
  });

  it('moves a card between columns, records card.moved, and hides cards of other tenants', async () => {
    const caller = await callerFactory(env, 'member', a.tenant);
    const { card_id: cardId } = await settled(a, await send(a, emailFactory()));
    const gql = (token: string, query: string, variables: Record<string, unknown>) =>
      env.api.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: { query, variables } });

    const moved = await gql(caller.access, 'mutation($id: ID!) { moveCard(id: $id, column: in_progress) { column } }', { id: cardId });
    const foreign = await gql(b.access, 'query($id: ID!) { card(id: $id) { id } }', { id: cardId });

    expect(moved.json().data.moveCard).toEqual({ column: 'in_progress' });
    expect(await eventsOf(a.tenant.id, 'card.moved')).toEqual([expect.objectContaining({ entity_id: cardId, payload: expect.objectContaining({ from: 'inbox', to: 'in_progress' }) })]);
    expect(foreign.json().errors[0].extensions.code).toBe('NOT_FOUND');
  });
});
