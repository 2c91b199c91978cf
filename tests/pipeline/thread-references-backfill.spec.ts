import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { hashMessageId, normalizeMessageId } from '../../src/pipeline/message-id';
import { migrate } from '../../src/platform/db/migrate';
import { Migration20261127110000_thread_lookup } from '../../src/platform/db/migrations/Migration20261127110000_thread_lookup';
import { ormConfig } from '../../src/platform/db/orm.config';
import { createLogger } from '../../src/platform/logging/logger';
import { callerFactory, type Caller } from '../factories';
import { emailFactory, ingest, track, type EmailSubmissionBody } from '../ingestion/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually, startTestWorker } from '../setup/worker';

describe(Migration20261127110000_thread_lookup.name, () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.close());

  const sql = <T extends object>(text: string, params: unknown[]) => env.ownerDb.transaction(async (client) => (await client.query<T & object>(text, params)).rows);

  it('normalises and hashes a Message-ID in SQL exactly as normalizeMessageId and hashMessageId do', async () => {
    const ids = [
      '<a1@mail.example>',
      'a1@mail.example',
      '<<a1@mail.example>>',
      ' <a1@mail.example> ',
      '<< a1@mail.example >>',
      '\t<a1@mail.example>\r\n',
      '\u00a0\u3000<\u2028a1@mail.example\u202f>\ufeff',
      '<a1@mail.example',
      'a1@mail.example>>>',
      '<a b@mail.example>',
      '<ünï-çødé-😀@mail.example>',
      '>a1@mail.example<',
      '<>',
      '<< >>',
      '',
      // Not whitespace to JavaScript's trim, so kept.
      '\u200b<a1@mail.example>\u180e',
    ];

    const rows = await sql<{ raw: string; normalized: string; hash: string }>(
      'select x as raw, normalize_message_id(x) as normalized, hash_message_id(x) as hash from unnest($1::text[]) with ordinality as t(x, n) order by n',
      [ids],
    );

    expect(rows).toEqual(ids.map((raw) => ({ raw, normalized: normalizeMessageId(raw), hash: hashMessageId(raw) })));
  });

  it('backfills what emails carded before it name and no email has claimed, so the originals still thread', async () => {
    const logger = createLogger('silent', 'pebble-test');
    const orm = await MikroORM.init(ormConfig({ clientUrl: env.ownerUrl, poolSize: 1 }));
    try {
      // Down to and including the thread lookup, with every later migration.
      await orm.getMigrator().down({ to: Migration20261127110000_thread_lookup.name });
      expect((await orm.getMigrator().getExecutedMigrations()).map((m) => m.name)).not.toContain(Migration20261127110000_thread_lookup.name);
    } finally {
      await orm.close(true);
    }
    const [a, b] = [await callerFactory(env, 'integration'), await callerFactory(env, 'integration')];
    const send = async (caller: Caller, body: EmailSubmissionBody) => (await ingest(env, caller.access, body)).json().tracking_id as string;
    /** What the pipeline wrote before the migration: the claim, a card, the email carded on it. */
    const cardedBefore = async (caller: Caller, body: EmailSubmissionBody): Promise<string> => {
      const emailId = await send(caller, body);
      const card = randomUUID();
      await env.ownerDb.query(
        `insert into cards (id, tenant_id, source_system, correlation_id, title, category, priority, sentiment, first_email_id, thread_key)
         values (?, ?, 'email-pipeline', 'test', 'Before the migration', 'other', 'normal', 0, ?, ?)`,
        [card, caller.tenant.id, emailId, hashMessageId(body.message_id as string)],
      );
      await env.ownerDb.query(
        `insert into processed_emails (id, tenant_id, source_system, correlation_id, message_id_hash, hash_source, email_id, card_id)
         values (gen_random_uuid(), ?, 'email-pipeline', 'test', ?, 'message_id', ?, ?)`,
        [caller.tenant.id, hashMessageId(body.message_id as string), emailId, card],
      );
      await env.ownerDb.query(`update emails set status = 'carded', card_id = ? where id = ?`, [card, emailId]);
      return card;
    };
    const id = () => `${randomUUID()}@mail.customer.example`;
    const [earlier, unseen, alsoUnseen] = [id(), id(), id()];
    // In tenant A: an email carded on its own, and a reply that names it, an unseen original (oddly written) and another.
    const cardOfEarlier = await cardedBefore(a, emailFactory({ message_id: `<${earlier}>` }));
    const cardOfReply = await cardedBefore(a, emailFactory({ in_reply_to: `<< ${unseen} >>`, references: [`<${earlier}>`, `<${alsoUnseen}>`] }));
    // In tenant B: a reply naming the same unseen Message-ID.
    const cardInB = await cardedBefore(b, emailFactory({ in_reply_to: `<${unseen}>` }));

    await migrate(env.ownerUrl, undefined, logger);

    const rows = await env.ownerDb.query<{ tenant_id: string; referenced_hash: string; card_id: string }>(
      'select tenant_id, referenced_hash, card_id from thread_references where tenant_id in (?, ?) order by tenant_id, referenced_hash',
      [a.tenant.id, b.tenant.id],
    );
    const expected = [
      { tenant_id: a.tenant.id, referenced_hash: hashMessageId(unseen), card_id: cardOfReply },
      { tenant_id: a.tenant.id, referenced_hash: hashMessageId(alsoUnseen), card_id: cardOfReply },
      { tenant_id: b.tenant.id, referenced_hash: hashMessageId(unseen), card_id: cardInB },
    ];
    expect(rows).toEqual(expect.arrayContaining(expected));
    expect(rows).toHaveLength(expected.length);
    expect(cardOfEarlier).not.toBe(cardOfReply);

    const worker = await startTestWorker(env);
    try {
      const settle = (caller: Caller, trackingId: string) =>
        eventually(`email ${trackingId} to be carded`, async () => {
          const tracked: { status: string; card_id: string | null } = (await track(env, caller.access, trackingId)).json();
          return tracked.status === 'carded' && tracked.card_id;
        });
      expect(await settle(a, await send(a, emailFactory({ message_id: `<${unseen}>` })))).toBe(cardOfReply);
      expect(await settle(a, await send(a, emailFactory({ message_id: `<${alsoUnseen}>` })))).toBe(cardOfReply);
      expect(await settle(b, await send(b, emailFactory({ message_id: `<${unseen}>` })))).toBe(cardInB);
    } finally {
      await worker.stop();
    }
    const counts = await env.ownerDb.query<{ id: string; email_count: number }>('select id, email_count from cards where id in (?, ?, ?) order by email_count', [cardOfEarlier, cardOfReply, cardInB]);
    expect(Object.fromEntries(counts.map((card) => [card.id, card.email_count]))).toEqual({ [cardOfEarlier]: 1, [cardOfReply]: 3, [cardInB]: 2 });
  });
});
