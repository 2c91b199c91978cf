import type { LightMyRequestResponse } from 'fastify';
import { Client } from 'pg';
import { BlacklistIndex } from '../../src/ingestion/blacklist-cache';
import type { BlacklistKind } from '../../src/ingestion/blacklist-entry.entity';
import { BlacklistService, parseBlacklistPattern } from '../../src/ingestion/blacklist.service';
import type { PebbleError } from '../../src/platform/errors/pebble-error';
import { callerFactory, type Caller } from '../factories';
import { executeRaw } from '../graphql/execute';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { ingest, ingestionCounter, storedCounts } from './factories';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A JSON submission from `from`. */
const submission = (from: string) => ({ subject: 'Quarterly offer', from, body: 'Buy now.', message_id: `<${Math.random().toString(36).slice(2)}@mail.example>` });

/** A minimal MIME message from `from`. */
const mime = (from: string) =>
  Buffer.from([`From: ${from}`, 'To: sales@acme.example', 'Subject: Quarterly offer', 'Date: Tue, 10 May 2005 11:26:39 -0600', '', 'Buy now.', ''].join('\r\n'));

/** POSTs a JSON submission from `from`. */
const postJson = (env: TestEnv, token: string, from: string): Promise<LightMyRequestResponse> => ingest(env, token, submission(from));

/** POSTs a MIME message from `from`. */
const postMime = (env: TestEnv, token: string, from: string): Promise<LightMyRequestResponse> =>
  ingest(env, token, mime(from), { 'content-type': 'message/rfc822' });

/** Resolves once this database's blacklist listener connection has run its LISTEN (and the reload after it). */
async function listenerReady(env: TestEnv): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const [{ count }] = await env.ownerDb.query<{ count: string }>(
      `select count(*) as count from pg_stat_activity
       where datname = current_database() and application_name = 'pebble-listener' and query ilike 'listen pebble_blacklist_changed%'`,
    );
    if (Number(count) > 0) {
      await sleep(200);
      return;
    }
    if (Date.now() > deadline) throw new Error('the blacklist listener never started listening');
    await sleep(25);
  }
}

/** Polls `attempt` until it returns true or `timeoutMs` passed; returns the time it took, or null. */
async function within(timeoutMs: number, attempt: () => Promise<boolean>): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await attempt()) return Date.now() - started;
    await sleep(50);
  }
  return null;
}

function thrown(work: () => unknown): PebbleError {
  try {
    work();
  } catch (error) {
    return error as PebbleError;
  }
  throw new Error('expected an error');
}

describe('BlacklistIndex', () => {
  const index = new BlacklistIndex([
    { pattern: 'bob@x.example', kind: 'address' },
    { pattern: '@y.example', kind: 'domain' },
    { pattern: '*.example.com', kind: 'subdomain' },
  ]);

  it('holds one entry per pattern', () => {
    expect(index.size).toBe(3);
    expect(new BlacklistIndex([]).match('bob@x.example')).toBeNull();
  });

  it.each<[string, string | null]>([
    // address entry: exactly that mailbox, any case, any +tag
    ['bob@x.example', 'bob@x.example'],
    ['BOB@X.Example', 'bob@x.example'],
    ['bob+tag@x.example', 'bob@x.example'],
    ['Bob+News+2024@X.EXAMPLE', 'bob@x.example'],
    ['bob@x.example.', 'bob@x.example'],
    ['alice@x.example', null],
    ['bobby@x.example', null],
    ['bob@sub.x.example', null],
    ['bob@x.example.org', null],
    // @domain entry: that domain only, not its subdomains
    ['anyone@y.example', '@y.example'],
    ['Anyone+x@Y.EXAMPLE', '@y.example'],
    ['anyone@y.example.', '@y.example'],
    ['anyone@sub.y.example', null],
    ['anyone@y.example.evil.io', null],
    ['anyone@evily.example', null],
    // *.domain entry: every subdomain, never the apex or look-alikes
    ['a@a.example.com', '*.example.com'],
    ['a@b.a.example.com', '*.example.com'],
    ['a@A.EXAMPLE.COM', '*.example.com'],
    ['a@a.example.com.', '*.example.com'],
    ['a@example.com', null],
    ['a@example.com.', null],
    ['a@x.example.com.evil.io', null],
    ['a@evilexample.com', null],
    ['a@a.evilexample.com', null],
    // not addresses
    ['bob', null],
    ['@x.example', null],
    ['', null],
  ])('%s → %s', (address, blockedBy) => {
    expect(index.match(address)).toBe(blockedBy);
  });
});

describe('parseBlacklistPattern', () => {
  it.each<[string, string, BlacklistKind]>([
    ['bob@x.example', 'bob@x.example', 'address'],
    ['  Bob@X.Example  ', 'bob@x.example', 'address'],
    ["o'neil.j+news@mail.x.example", "o'neil.j+news@mail.x.example", 'address'],
    ['@x.example', '@x.example', 'domain'],
    ['@X.EXAMPLE', '@x.example', 'domain'],
    ['*.x.example', '*.x.example', 'subdomain'],
    ['*.Mail.X.Example', '*.mail.x.example', 'subdomain'],
  ])('accepts %j as %j (%s)', (raw, pattern, kind) => {
    expect(parseBlacklistPattern(raw)).toEqual({ pattern, kind });
  });

  it.each([
    '',
    '   ',
    'bob',
    'x.example',
    'bob@',
    '@',
    '*.',
    '*',
    'bob@localhost',
    '@x',
    '@x.e',
    '*x.example',
    '**.x.example',
    '*.*.x.example',
    'bob@*.x.example',
    'bob@x@y.example',
    'bob smith@x.example',
    'bob@x .example',
    'bob@x.example.',
    '@-x.example',
    '@x-.example',
    '@x..example',
    `${'a'.repeat(65)}@x.example`,
    `@${'a'.repeat(64)}.example`,
    'böb@x.example',
    'bob@x.example\u0000',
    '*@x.example',
  ])('rejects %j with BAD_USER_INPUT naming `pattern`', (raw) => {
    const error = thrown(() => parseBlacklistPattern(raw));
    expect(error.kind).toBe('BAD_USER_INPUT');
    expect(error.details.fields).toEqual([{ field: 'pattern', message: expect.any(String) }]);
  });
});

describe('global sender blacklist on POST /api/v1/ingestion/email/', () => {
  let env: TestEnv;
  let integration: Caller;
  let otherTenant: Caller;

  beforeAll(async () => {
    // No periodic refresh during the test: only the in-process reload and NOTIFY can update the cache.
    env = await createTestEnv({ BLACKLIST_CACHE_TTL_SECONDS: '3600' });
    [integration, otherTenant] = await Promise.all([callerFactory(env, 'integration'), callerFactory(env, 'admin')]);
    // The cache loads on the first ingestion.
    expect((await postJson(env, integration.access, 'warm@up.example')).statusCode).toBe(202);
    await listenerReady(env);
  });
  afterAll(() => env.close());

  describe('a change made in this process (BlacklistService)', () => {
    // No NOTIFY while these run: whatever takes effect at once does so through the in-process reload alone.
    beforeAll(() => env.ownerDb.query('alter table blacklist_entries disable trigger blacklist_entries_changed'));
    afterAll(() => env.ownerDb.query('alter table blacklist_entries enable trigger blacklist_entries_changed'));

    it('refuses the very next JSON and MIME email from the sender with 403 SENDER_BLACKLISTED, storing and queuing nothing', async () => {
      expect((await postJson(env, integration.access, 'spam@junk.example')).statusCode).toBe(202);
      await env.services.blacklist.add('spam@junk.example');
      const before = await storedCounts(env, integration.tenant.id);
      const counted = await ingestionCounter(env, 'blacklisted');

      const json = await postJson(env, integration.access, 'Spam Team <spam@junk.example>');
      const message = await postMime(env, integration.access, '"Spam Team" <Spam+Promo@JUNK.example>');

      for (const response of [json, message]) {
        expect(response.statusCode).toBe(403);
        expect(response.json()).toMatchObject({ code: 'SENDER_BLACKLISTED', detail: expect.any(String), errors: [{ field: 'from' }] });
      }
      expect(json.json().detail).toContain('spam@junk.example');
      expect(await storedCounts(env, integration.tenant.id)).toEqual(before);
      expect(await ingestionCounter(env, 'blacklisted')).toBe(counted + 2);
    });

    it('applies to every tenant: the blacklist is global', async () => {
      await env.services.blacklist.add('@everywhere.example');
      const before = await storedCounts(env, otherTenant.tenant.id);

      const response = await postMime(env, otherTenant.access, 'promo@everywhere.example');

      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('SENDER_BLACKLISTED');
      expect(await storedCounts(env, otherTenant.tenant.id)).toEqual(before);
    });

    it('blocks the subdomains of a *.domain entry and leaves the domain itself alone', async () => {
      await env.services.blacklist.add('*.bulk.example');

      expect((await postJson(env, integration.access, 'a@news.bulk.example')).statusCode).toBe(403);
      expect((await postMime(env, integration.access, 'b@eu.news.bulk.example')).statusCode).toBe(403);
      expect((await postJson(env, integration.access, 'c@bulk.example')).statusCode).toBe(202);
      expect((await postMime(env, integration.access, 'd@bulk.example.evil.io')).statusCode).toBe(202);
    });

    it('accepts the sender again as soon as the entry is removed', async () => {
      await env.services.blacklist.add('unblock.me@junk.example');
      expect((await postJson(env, integration.access, 'unblock.me@junk.example')).statusCode).toBe(403);

      await env.services.blacklist.remove('Unblock.Me@Junk.Example');

      const before = await storedCounts(env, integration.tenant.id);
      const accepted = await ingestionCounter(env, 'accepted');
      expect((await postJson(env, integration.access, 'unblock.me@junk.example')).statusCode).toBe(202);
      expect((await postMime(env, integration.access, 'unblock.me+x@junk.example')).statusCode).toBe(202);
      expect(await storedCounts(env, integration.tenant.id)).toEqual({ emails: before.emails + 2, jobs: before.jobs + 2 });
      expect(await ingestionCounter(env, 'accepted')).toBe(accepted + 2);
    });

    it('refuses a MIME message when any of its From addresses is blacklisted, not only the first', async () => {
      await env.services.blacklist.add('second@sender.example');
      const before = await storedCounts(env, integration.tenant.id);

      const response = await postMime(env, integration.access, 'first@fine.example, Second <second@sender.example>');

      expect(response.statusCode).toBe(403);
      expect(response.json().detail).toContain('second@sender.example');
      expect(await storedCounts(env, integration.tenant.id)).toEqual(before);
    });

    it('does not block senders that merely resemble an entry', async () => {
      await env.services.blacklist.add('bob@lookalike.example');

      for (const from of ['bobby@lookalike.example', 'bob@lookalike.example.org', 'bob@mail.lookalike.example']) {
        expect({ from, status: (await postJson(env, integration.access, from)).statusCode }).toEqual({ from, status: 202 });
      }
    });
  });

  describe('a change made by another process (straight to Postgres)', () => {
    it('reaches this process through NOTIFY within seconds, without a restart', async () => {
      const sender = 'fresh.spammer@elsewhere.example';
      expect((await postJson(env, integration.access, sender)).statusCode).toBe(202);

      await env.ownerDb.query('insert into blacklist_entries (id, pattern, kind) values (gen_random_uuid(), ?, ?)', [sender, 'address']);

      // The periodic refresh is an hour away: only the notification can bring the entry in.
      const took = await within(5000, async () => (await postJson(env, integration.access, sender)).statusCode === 403);
      expect(took).not.toBeNull();
      const refused = await postMime(env, integration.access, sender);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('SENDER_BLACKLISTED');
    });

    it('is heard even when this process first loaded the blacklist through its own change, before any ingestion', async () => {
      const fresh = await createTestEnv({ BLACKLIST_CACHE_TTL_SECONDS: '3600' });
      try {
        const caller = await callerFactory(fresh, 'integration');
        // An admin's change is the first thing the new process does with the blacklist.
        await fresh.services.blacklist.add('first@change.example');
        const sender = 'later@elsewhere.example';
        expect((await postJson(fresh, caller.access, sender)).statusCode).toBe(202);

        await fresh.ownerDb.query('insert into blacklist_entries (id, pattern, kind) values (gen_random_uuid(), ?, ?)', [sender, 'address']);

        expect(await within(5000, async () => (await postJson(fresh, caller.access, sender)).statusCode === 403)).not.toBeNull();
      } finally {
        await fresh.close();
      }
    });

    it('sees a removal by another process (as `pebble blacklist remove` does it) the same way', async () => {
      const sender = 'reformed@elsewhere.example';
      await new BlacklistService(env.ownerDb).add(sender);
      expect(await within(5000, async () => (await postJson(env, integration.access, sender)).statusCode === 403)).not.toBeNull();

      await new BlacklistService(env.ownerDb).remove(sender);

      expect(await within(5000, async () => (await postJson(env, integration.access, sender)).statusCode === 202)).not.toBeNull();
    });
  });
});

describe('BlacklistCache costs no query per request', () => {
  let env: TestEnv;
  let integration: Caller;

  beforeAll(async () => {
    // One connection per pool, so "every connection of the app" is two known connections (plus the listener,
    // which only listens); no periodic refresh.
    env = await createTestEnv({ BLACKLIST_CACHE_TTL_SECONDS: '3600', DB_POOL_SIZE: '1', INGEST_BATCH_CONCURRENCY: '1' });
    integration = await callerFactory(env, 'integration');
    expect((await postJson(env, integration.access, 'warm@up.example')).statusCode).toBe(202);
    await env.services.blacklist.add('spam@junk.example');
    await listenerReady(env);
  });
  afterAll(() => env.close());

  /**
   * Reads (sequential and index scans) of blacklist_entries reported so far. Postgres 15 backends report their
   * table statistics when they go idle, but at most once a second (else a timer reports them within 10 s);
   * pg_stat_force_next_flush() acts only on the calling backend, so it cannot help here. So: wait over a
   * second, then run one statement on each of the app's two pooled connections; going idle, each reports
   * everything it has read (what an earlier timer did not already report).
   */
  async function blacklistReads(): Promise<number> {
    await sleep(1100);
    await env.db.query('select 1');
    await env.db.transaction((client) => client.query('select 1'));
    const [{ reads }] = await env.ownerDb.query<{ reads: string }>(
      `select seq_scan + coalesce(idx_scan, 0) as reads from pg_stat_user_tables where relname = 'blacklist_entries'`,
    );
    return Number(reads);
  }

  /** The counter once nothing is reading any more (a reload after a change or a listener connect may run). */
  async function settledReads(): Promise<number> {
    let last = await blacklistReads();
    for (;;) {
      const now = await blacklistReads();
      if (now === last) return now;
      last = now;
    }
  }

  it('answers 20 ingestions, blocked ones included, without reading blacklist_entries once', async () => {
    const before = await settledReads();

    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const from = i % 5 === 0 ? 'spam@junk.example' : `customer${i}@acme.example`;
      statuses.push((await (i % 2 === 0 ? postJson : postMime)(env, integration.access, from)).statusCode);
    }

    expect(statuses.filter((status) => status === 202)).toHaveLength(16);
    expect(statuses.filter((status) => status === 403)).toHaveLength(4);
    expect((await blacklistReads()) - before).toBe(0);
  });

  it('does see the reads of a reload after a change, so the count above could have seen a read per request', async () => {
    const before = await settledReads();

    await env.services.blacklist.add('other@junk.example');

    expect(await blacklistReads()).toBeGreaterThan(before);
  });

  it('keeps answering while another transaction holds blacklist_entries locked against all reads', async () => {
    const locker = new Client({ connectionString: env.ownerUrl });
    await locker.connect();
    let timer: NodeJS.Timeout | undefined;
    try {
      await locker.query('begin');
      await locker.query('lock table blacklist_entries in access exclusive mode');
      const blocked = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('blocked: a request read blacklist_entries'), 5000)));

      const answers = Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? postJson : postMime)(env, integration.access, i % 5 === 0 ? 'spam@junk.example' : `c${i}@acme.example`)),
      ).then((responses) => responses.map((response) => response.statusCode).sort());

      expect(await Promise.race([answers, blocked])).toEqual([...Array(16).fill(202), ...Array(4).fill(403)]);
    } finally {
      clearTimeout(timer);
      await locker.query('rollback');
      await locker.end();
    }
  });
});

describe('blacklist GraphQL API (admin only)', () => {
  let env: TestEnv;
  let admin: Caller;
  let integration: Caller;
  let member: Caller;

  const LIST = 'query { blacklistEntries { id pattern kind createdAt } }';
  const ADD = 'mutation($pattern: String!) { addBlacklistEntry(pattern: $pattern) { id pattern kind createdAt } }';
  const REMOVE = 'mutation($pattern: String!) { removeBlacklistEntry(pattern: $pattern) }';

  const patterns = async () => (await env.ownerDb.query<{ pattern: string }>('select pattern from blacklist_entries order by pattern')).map((row) => row.pattern);

  beforeAll(async () => {
    env = await createTestEnv();
    [admin, integration, member] = await Promise.all([callerFactory(env, 'admin'), callerFactory(env, 'integration'), callerFactory(env, 'member')]);
    // No NOTIFY: a mutation takes effect on ingestion through the in-process reload alone.
    await env.ownerDb.query('alter table blacklist_entries disable trigger blacklist_entries_changed');
    expect((await postJson(env, integration.access, 'warm@up.example')).statusCode).toBe(202);
    await listenerReady(env);
  });
  afterAll(() => env.close());

  it('lets an admin add entries of each kind, case-folded, and lists them by pattern', async () => {
    const added = await Promise.all(['  Spam@Junk.Example ', '@junk.example', '*.Bulk.Example'].map((pattern) => executeRaw(env.api, ADD, admin.access, { pattern })));

    expect(added.map((result) => result.errors)).toEqual([undefined, undefined, undefined]);
    expect(added.map((result) => (result.data as { addBlacklistEntry: { pattern: string; kind: string } }).addBlacklistEntry)).toEqual([
      expect.objectContaining({ pattern: 'spam@junk.example', kind: 'address' }),
      expect.objectContaining({ pattern: '@junk.example', kind: 'domain' }),
      expect.objectContaining({ pattern: '*.bulk.example', kind: 'subdomain' }),
    ]);
    const listed = await executeRaw(env.api, LIST, admin.access);
    expect(listed.errors).toBeUndefined();
    expect((listed.data as { blacklistEntries: { pattern: string }[] }).blacklistEntries.map((entry) => entry.pattern)).toEqual([
      '*.bulk.example',
      '@junk.example',
      'spam@junk.example',
    ]);
    expect(await patterns()).toEqual(['*.bulk.example', '@junk.example', 'spam@junk.example']);
  });

  it('returns the existing entry when a pattern is added twice', async () => {
    const first = await executeRaw(env.api, ADD, admin.access, { pattern: 'twice@junk.example' });
    const second = await executeRaw(env.api, ADD, admin.access, { pattern: 'TWICE@junk.example' });

    expect(second.errors).toBeUndefined();
    expect((second.data as { addBlacklistEntry: { id: string } }).addBlacklistEntry.id).toBe((first.data as { addBlacklistEntry: { id: string } }).addBlacklistEntry.id);
    expect((await patterns()).filter((pattern) => pattern === 'twice@junk.example')).toHaveLength(1);
  });

  it('blocks ingestion at once when an admin adds an entry, and unblocks it at once on removal', async () => {
    await executeRaw(env.api, ADD, admin.access, { pattern: 'via.graphql@graphql.example' });
    expect((await postJson(env, integration.access, 'via.graphql@graphql.example')).statusCode).toBe(403);

    const removed = await executeRaw(env.api, REMOVE, admin.access, { pattern: 'via.graphql@graphql.example' });

    expect(removed).toMatchObject({ data: { removeBlacklistEntry: true } });
    expect(await patterns()).not.toContain('via.graphql@graphql.example');
    expect((await postJson(env, integration.access, 'via.graphql@graphql.example')).statusCode).toBe(202);
  });

  it('answers NOT_FOUND when removing a pattern that is not listed', async () => {
    const result = await executeRaw(env.api, REMOVE, admin.access, { pattern: 'never.added@junk.example' });

    expect(result.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it.each([
    ['bob', 'not an address or domain'],
    ['x.example', 'a bare domain'],
    ['*x.example', 'a wildcard without its dot'],
    ['bob@x@y.example', 'two @'],
    ['', 'empty'],
  ])('answers BAD_USER_INPUT naming `pattern` for %j (%s), storing nothing', async (pattern) => {
    const before = await patterns();

    const result = await executeRaw(env.api, ADD, admin.access, { pattern });

    expect(result.data).toBeNull();
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'pattern', message: expect.any(String) }] });
    expect(await patterns()).toEqual(before);
  });

  it.each(['integration', 'member'] as const)('answers FORBIDDEN to an %s for the list, add and remove, changing nothing', async (role) => {
    const caller = role === 'integration' ? integration : member;
    await executeRaw(env.api, ADD, admin.access, { pattern: `keep.${role}@junk.example` });
    const before = await patterns();

    const results = [
      await executeRaw(env.api, LIST, caller.access),
      await executeRaw(env.api, ADD, caller.access, { pattern: `sneaky.${role}@junk.example` }),
      await executeRaw(env.api, REMOVE, caller.access, { pattern: `keep.${role}@junk.example` }),
    ];

    for (const result of results) {
      expect(result.data).toBeNull();
      expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    expect(await patterns()).toEqual(before);
  });

  it('answers UNAUTHENTICATED without a token', async () => {
    const result = await executeRaw(env.api, LIST);

    expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
