import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { notifyCardsCreated } from '../cards/card.notifications';
import type { Classification } from '../classification/classifier';
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
 * Writes the cards, events and statuses of one tenant's fetch with a fixed number of statements, whatever
 * its size. Threads and duplicates inside the fetch are resolved in memory in job order, so a reply queued
 * right behind its original still joins the original's card.
 */
export async function writeCards(client: PoolClient, tenantId: string, emails: PlannedEmail[]): Promise<WrittenCards> {
  const claimed = emails.filter((email) => email.claimed);
  const referenced = (email: PlannedEmail) =>
    [email.inReplyTo, ...[...email.referenceIds].reverse()].filter((id): id is string => typeof id === 'string' && normalizeMessageId(id) !== '').map(hashMessageId);

  const lookupHashes = [...new Set([...claimed.flatMap(referenced), ...emails.filter((e) => !e.claimed).map((e) => e.hash)])];
  const known = new Map<string, { emailId: string; cardId: string | null }>();
  if (lookupHashes.length > 0) {
    const { rows } = await client.query<{ message_id_hash: string; email_id: string; card_id: string | null }>(
      'select message_id_hash, email_id, card_id from processed_emails where tenant_id = $1 and message_id_hash = any($2::text[])',
      [tenantId, lookupHashes],
    );
    for (const row of rows) known.set(row.message_id_hash, { emailId: row.email_id, cardId: row.card_id });
  }
  const companies = await companiesByDomain(client, tenantId, claimed.map((email) => email.fromAddress));

  const outcomes = new Map<string, CardOutcome>();
  const cardOfHash = new Map<string, string>();
  const newCards: Row = column(['id', 'correlation', 'title', 'category', 'priority', 'sentiment', 'company', 'email', 'hash', 'count']);
  const newCardIndex = new Map<string, number>();
  const grown = new Map<string, number>();
  const events: Row = column(['correlation', 'entityType', 'entityId', 'kind', 'payload']);
  const event = (correlation: string, entityType: string, entityId: string, kind: string, payload: Record<string, unknown>) =>
    push(events, [correlation, entityType, entityId, kind, JSON.stringify(payload)]);

  for (const email of claimed) {
    const thread = referenced(email)
      .map((hash) => cardOfHash.get(hash) ?? known.get(hash)?.cardId)
      .find((cardId): cardId is string => Boolean(cardId));
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
  }

  const claimants = new Map(claimed.map((email) => [email.hash, email.emailId]));
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
    await client.query(
      `update cards c set email_count = c.email_count + x.n, updated_at = now() from unnest($1::uuid[], $2::int[]) as x(id, n) where c.id = x.id`,
      [[...grown.keys()], [...grown.values()]],
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

/** Companies of the tenant by domain, for every sender domain and its parents. */
async function companiesByDomain(client: PoolClient, tenantId: string, addresses: string[]): Promise<Map<string, string>> {
  const domains = [...new Set(addresses.flatMap(parentDomains))];
  if (domains.length === 0) return new Map();
  const { rows } = await client.query<{ id: string; domain: string }>(
    'select id, domain from companies where tenant_id = $1 and domain = any($2::text[]) order by created_at desc',
    [tenantId, domains],
  );
  // Oldest last, so it wins: the same company as the one-at-a-time path picks.
  return new Map(rows.map((row) => [row.domain, row.id]));
}

function companyFor(companies: Map<string, string>, address: string): string | null {
  for (const domain of parentDomains(address)) {
    const id = companies.get(domain);
    if (id) return id;
  }
  return null;
}

/** `a@eu.acme.example` → `eu.acme.example`, `acme.example` (never the bare top-level domain). */
function parentDomains(address: string): string[] {
  const labels = address.slice(address.lastIndexOf('@') + 1).toLowerCase().replace(/\.$/, '').split('.');
  return labels.slice(0, -1).map((_, index) => labels.slice(index).join('.'));
}

function column(names: string[]): Row {
  return Object.fromEntries(names.map((name) => [name, []]));
}

function push(row: Row, values: unknown[]): void {
  Object.keys(row).forEach((name, index) => row[name].push(values[index]));
}
