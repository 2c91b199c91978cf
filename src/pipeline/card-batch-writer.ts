import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { notifyCardsCreated } from '../cards/card.notifications';
import type { Classification } from '../classification/classifier';
import { parentDomains } from '../companies/company-domains';
import type { SearchRef } from '../search/search-ref';
import { hashMessageId, normalizeMessageId } from './message-id';

/** One claimed-or-not email of a fetch, ready to be written. */
export interface PlannedEmail {
  emailId: string;
  correlationId: string;
  subject: string;
  fromAddress: string;
  inReplyTo: string | null;
  referenceIds: string[];
  hash: string;
  classification: Classification;
  /** True when this email won the claim of its hash; false makes it a duplicate. */
  claimed: boolean;
}

export type CardOutcome = { kind: 'carded'; cardId: string; threaded: boolean } | { kind: 'duplicate'; cardId: string | null };

export interface WrittenCards {
  outcomes: Map<string, CardOutcome>;
  /** The cards and events written, for the search index (an email's text does not change here). */
  written: SearchRef[];
}

interface Row {
  [column: string]: unknown[];
}

const SOURCE = 'email-pipeline';
/**
 * Message-IDs an email names that its transaction locks besides its own: In-Reply-To (or the last of References)
 * and the two before it. Up to 101 are named; a fetch of 100 emails then takes at most 400 locks, well inside
 * Postgres' shared lock table (max_locks_per_transaction × connections).
 */
const LOCKED_ANCESTORS = 3;
/** The first key of the pipeline's advisory locks (`th`), which keeps them apart from pg-boss' single-key ones. */
const THREAD_LOCK_CLASS = 0x7468;

/**
 * Writes the cards, events and statuses of one tenant's fetch with a fixed number of statements, whatever
 * its size. Threads and duplicates inside the fetch are resolved in memory in job order, so a reply queued
 * right behind its original still joins the original's card, and an original queued behind its reply joins the
 * reply's.
 *
 * Threading looks both ways. An email joins the card of an email it names in In-Reply-To or References;
 * failing that, the card of a carded email that names it (mail arrives out of order), recorded in
 * `thread_references`. When several cards name it, it joins the oldest: merging those cards is out of scope.
 *
 * A reply and its original written by two transactions at the same time (two worker processes, or the one-by-one
 * retry of a failed fetch, whose jobs run concurrently) claim different hashes, and neither would see the other's
 * uncommitted rows: each would get a card. So before its lookups a transaction locks the Message-ID of each email
 * it claims and of the nearest LOCKED_ANCESTORS it names: the second of two such transactions waits for the first
 * to commit, then sees its card. A reply naming its original only further up References still races.
 */
export async function writeCards(client: PoolClient, tenantId: string, emails: PlannedEmail[]): Promise<WrittenCards> {
  const claimed = emails.filter((email) => email.claimed);
  // The hashes of the Message-IDs each claimed email names, nearest first: hashed once, read four times below.
  const namedBy = new Map(
    claimed.map((email) => [
      email,
      [email.inReplyTo, ...[...email.referenceIds].reverse()].filter((id): id is string => typeof id === 'string' && normalizeMessageId(id) !== '').map(hashMessageId),
    ]),
  );
  const referenced = (email: PlannedEmail) => namedBy.get(email)!;
  await lockThreads(client, claimed.flatMap((email) => [email.hash, ...referenced(email).slice(0, LOCKED_ANCESTORS)]));

  const lookupHashes = [...new Set([...claimed.flatMap(referenced), ...emails.filter((e) => !e.claimed).map((e) => e.hash)])];
  const known = new Map<string, { emailId: string; cardId: string | null }>();
  if (lookupHashes.length > 0) {
    const { rows } = await client.query<{ message_id_hash: string; email_id: string; card_id: string | null }>(
      'select message_id_hash, email_id, card_id from processed_emails where tenant_id = $1 and message_id_hash = any($2::text[])',
      [tenantId, lookupHashes],
    );
    for (const row of rows) known.set(row.message_id_hash, { emailId: row.email_id, cardId: row.card_id });
  }
  const namedBefore = await oldestCardsNaming(client, tenantId, claimed.map((email) => email.hash));
  const companies = await companiesByDomain(client, tenantId, claimed.map((email) => email.fromAddress));

  const outcomes = new Map<string, CardOutcome>();
  const cardOfHash = new Map<string, string>();
  const claimants = new Map(claimed.map((email) => [email.hash, email.emailId]));
  // The first card of this fetch to name a hash; cards that named it before this fetch are older, so they go first.
  const namedInFetch = new Map<string, string>();
  // For thread_references: a claimed Message-ID is never claimed again, so only the unclaimed ones are kept.
  const unseen = new Map<string, { hash: string; cardId: string; correlation: string }>();
  const named = (email: PlannedEmail, cardId: string) => {
    for (const hash of referenced(email)) {
      if (!namedInFetch.has(hash)) namedInFetch.set(hash, cardId);
      if (!known.has(hash) && !claimants.has(hash)) unseen.set(`${hash} ${cardId}`, { hash, cardId, correlation: email.correlationId });
    }
  };
  const newCards: Row = column(['id', 'correlation', 'title', 'category', 'priority', 'sentiment', 'company', 'email', 'hash', 'count']);
  const newCardIndex = new Map<string, number>();
  const grown = new Map<string, number>();
  const events: Row = column(['correlation', 'entityType', 'entityId', 'kind', 'payload']);
  const event = (correlation: string, entityType: string, entityId: string, kind: string, payload: Record<string, unknown>) =>
    push(events, [correlation, entityType, entityId, kind, JSON.stringify(payload)]);

  for (const email of claimed) {
    const thread =
      referenced(email)
        .map((hash) => cardOfHash.get(hash) ?? known.get(hash)?.cardId)
        .find((cardId): cardId is string => Boolean(cardId)) ??
      namedBefore.get(email.hash) ??
      namedInFetch.get(email.hash);
    const { classification: c } = email;
    if (thread) {
      const index = newCardIndex.get(thread);
      if (index === undefined) grown.set(thread, (grown.get(thread) ?? 0) + 1);
      else (newCards.count as number[])[index] += 1;
      event(email.correlationId, 'card', thread, 'email.threaded', {
        emailId: email.emailId,
        subject: email.subject,
        category: c.category,
        priority: c.priority,
        sentiment: c.sentiment,
      });
      outcomes.set(email.emailId, { kind: 'carded', cardId: thread, threaded: true });
      cardOfHash.set(email.hash, thread);
      named(email, thread);
      continue;
    }
    const cardId = randomUUID();
    const companyId = companyFor(companies, email.fromAddress);
    newCardIndex.set(cardId, newCards.id.length);
    push(newCards, [cardId, email.correlationId, email.subject.trim() || '(no subject)', c.category, c.priority, c.sentiment, companyId, email.emailId, email.hash, 1]);
    event(email.correlationId, 'card', cardId, 'card.created', {
      emailId: email.emailId,
      category: c.category,
      priority: c.priority,
      sentiment: c.sentiment,
      confidence: c.confidence,
      classifier: `${c.provider}/${c.model}`,
      ...(c.fallbackReason ? { classifierFallback: c.fallbackReason } : {}),
      companyId,
    });
    outcomes.set(email.emailId, { kind: 'carded', cardId, threaded: false });
    cardOfHash.set(email.hash, cardId);
    named(email, cardId);
  }

  for (const email of emails.filter((e) => !e.claimed)) {
    const cardId = cardOfHash.get(email.hash) ?? known.get(email.hash)?.cardId ?? null;
    const originalEmailId = claimants.get(email.hash) ?? known.get(email.hash)?.emailId ?? null;
    event(email.correlationId, 'email', email.emailId, 'duplicate.ignored', { message: 'Duplicate Ignored', messageIdHash: email.hash, originalEmailId, cardId });
    outcomes.set(email.emailId, { kind: 'duplicate', cardId });
  }

  if (newCards.id.length > 0) {
    await client.query(
      `insert into cards (id, tenant_id, source_system, correlation_id, "column", title, category, priority, sentiment, company_id, first_email_id, thread_key, email_count)
       select x.id, $1, $2, x.correlation, 'inbox', x.title, x.category, x.priority, x.sentiment, x.company, x.email, x.hash, x.count
       from unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[], $9::uuid[], $10::uuid[], $11::text[], $12::int[])
         as x(id, correlation, title, category, priority, sentiment, company, email, hash, count)`,
      [tenantId, SOURCE, newCards.id, newCards.correlation, newCards.title, newCards.category, newCards.priority, newCards.sentiment, newCards.company, newCards.email, newCards.hash, newCards.count],
    );
    await notifyCardsCreated(client, tenantId, newCards.id as string[]);
  }
  if (grown.size > 0) {
    // In id order, so two fetches growing the same cards lock them in the same order.
    const byId = [...grown].sort(([a], [b]) => (a < b ? -1 : 1));
    await client.query(
      `update cards c set email_count = c.email_count + x.n, updated_at = now() from unnest($1::uuid[], $2::int[]) as x(id, n) where c.id = x.id`,
      [byId.map(([id]) => id), byId.map(([, n]) => n)],
    );
  }
  const inserted = await client.query<{ id: string }>(
    `insert into activity_events (id, tenant_id, source_system, correlation_id, entity_type, entity_id, kind, payload)
     select gen_random_uuid(), $1, $2, x.correlation, x.entity_type, x.entity_id, x.kind, x.payload
     from unnest($3::text[], $4::text[], $5::uuid[], $6::text[], $7::jsonb[]) with ordinality as x(correlation, entity_type, entity_id, kind, payload, position)
     order by x.position
     returning id`,
    [tenantId, SOURCE, events.correlation, events.entityType, events.entityId, events.kind, events.payload],
  );
  if (claimed.length > 0) {
    await client.query(
      `update processed_emails p set card_id = x.card_id, updated_at = now() from unnest($2::text[], $3::uuid[]) as x(hash, card_id)
       where p.tenant_id = $1 and p.message_id_hash = x.hash`,
      [tenantId, claimed.map((email) => email.hash), claimed.map((email) => (outcomes.get(email.emailId) as { cardId: string }).cardId)],
    );
  }
  if (unseen.size > 0) {
    const refs = [...unseen.values()];
    // In hash order, so two fetches recording the same (hash, card) wait for each other in the same order.
    await client.query(
      `insert into thread_references (id, tenant_id, source_system, correlation_id, referenced_hash, card_id)
       select gen_random_uuid(), $1, $2, x.correlation, x.hash, x.card_id
       from unnest($3::text[], $4::uuid[], $5::text[]) as x(hash, card_id, correlation)
       order by x.hash, x.card_id
       on conflict (tenant_id, referenced_hash, card_id) do nothing`,
      [tenantId, SOURCE, refs.map((ref) => ref.hash), refs.map((ref) => ref.cardId), refs.map((ref) => ref.correlation)],
    );
  }
  await client.query(
    `update emails e set status = x.status, card_id = x.card_id, message_id_hash = x.hash, finished_at = now(), updated_at = now(),
       last_error = case when x.status = 'carded' then null else e.last_error end
     from unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[]) as x(id, status, card_id, hash) where e.id = x.id`,
    [emails.map((e) => e.emailId), emails.map((e) => outcomes.get(e.emailId)!.kind), emails.map((e) => outcomes.get(e.emailId)!.cardId), emails.map((e) => e.hash)],
  );
  const written: SearchRef[] = [
    ...[...(newCards.id as string[]), ...grown.keys()].map((id) => ({ type: 'card' as const, id })),
    ...inserted.rows.map((row) => ({ type: 'activity' as const, id: row.id })),
  ];
  return { outcomes, written };
}

/** The oldest card of the tenant that names each hash in an email's In-Reply-To or References. */
async function oldestCardsNaming(client: PoolClient, tenantId: string, hashes: string[]): Promise<Map<string, string>> {
  if (hashes.length === 0) return new Map();
  const { rows } = await client.query<{ referenced_hash: string; card_id: string }>(
    `select distinct on (r.referenced_hash) r.referenced_hash, r.card_id
     from thread_references r join cards c on c.id = r.card_id
     where r.tenant_id = $1 and r.referenced_hash = any($2::text[])
     order by r.referenced_hash, c.created_at, c.id`,
    [tenantId, hashes],
  );
  return new Map(rows.map((row) => [row.referenced_hash, row.card_id]));
}

/**
 * Transaction-scoped advisory locks, one per Message-ID hash (its first 32 bits, under a class of their own), taken
 * in key order so that two transactions never wait for each other crosswise. Another thread whose key collides
 * only waits a moment longer.
 */
async function lockThreads(client: PoolClient, hashes: string[]): Promise<void> {
  const keys = [...new Set(hashes.map((hash) => Number.parseInt(hash.slice(0, 8), 16) | 0))].sort((a, b) => a - b);
  if (keys.length === 0) return;
  await client.query('select count(pg_advisory_xact_lock($1::int, key)) from unnest($2::int[]) as key', [THREAD_LOCK_CLASS, keys]);
}

/** Companies of the tenant by domain, for every sender domain and its parents. */
async function companiesByDomain(client: PoolClient, tenantId: string, addresses: string[]): Promise<Map<string, string>> {
  const domains = [...new Set(addresses.flatMap(senderDomains))];
  if (domains.length === 0) return new Map();
  const { rows } = await client.query<{ id: string; domain: string }>(
    'select id, domain from companies where tenant_id = $1 and domain = any($2::text[]) order by created_at desc',
    [tenantId, domains],
  );
  // Oldest last, so it wins: the same company as the one-at-a-time path picks.
  return new Map(rows.map((row) => [row.domain, row.id]));
}

function companyFor(companies: Map<string, string>, address: string): string | null {
  for (const domain of senderDomains(address)) {
    const id = companies.get(domain);
    if (id) return id;
  }
  return null;
}

/** `a@eu.acme.example` → `eu.acme.example`, `acme.example`: the domains of the sender's company. */
function senderDomains(address: string): string[] {
  return parentDomains(address.slice(address.lastIndexOf('@') + 1).toLowerCase().replace(/\.$/, ''));
}

function column(names: string[]): Row {
  return Object.fromEntries(names.map((name) => [name, []]));
}

function push(row: Row, values: unknown[]): void {
  Object.keys(row).forEach((name, index) => row[name].push(values[index]));
}
