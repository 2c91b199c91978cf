import type { PoolClient } from 'pg';
import type { EntitySignals, InsightFacts, InsightSnippet } from './insight-facts';
import { previousPeriod, type Period } from './insight-period';

/**
 * Stock-out and backorder wording, as a Postgres regular expression (matched case-insensitively with `~*`):
 * "stock-out", "stockouts", "out of stock", "backorder", "back-ordered", and `stock_out` / `out_of_stock`
 * as ERP systems write statuses.
 */
export const STOCK_OUT_PATTERN = 'stock[-_ ]?outs?|out[-_ ]of[-_ ]stock|back[-_ ]?order(ed|s)?';

/** Snippets per insight, and how many of them may be emails when records are there to fill the rest. */
export const MAX_SNIPPETS = 8;
const MAX_EMAIL_SNIPPETS = 6;
const SNIPPET_CHARS = 300;

/** What the aggregation knows of one company: its signals in the period and the one before, and its snippets. */
export interface EntityAggregate {
  entity: InsightFacts['entity'];
  signals: EntitySignals;
  /** Null when the company had no activity in the period before. */
  previousSignals: EntitySignals | null;
  snippets: InsightSnippet[];
}

interface SignalRow {
  company_id: string;
  name: string;
  domain: string | null;
  period: 'previous' | 'current';
  active: boolean;
  events_by_kind: Record<string, number> | null;
  emails: string;
  category_mix: Record<string, number> | null;
  mean_sentiment: number | null;
  complaints: string;
  mention_emails: string;
  mention_records: string;
  open_cards: string;
  open_card_mean_age_days: number | null;
}

/** A payload's `emailId` as a uuid, or null: a bad value must not fail the cast of the whole statement. */
const PAYLOAD_EMAIL_ID = `case when s.payload->>'emailId' ~ '^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$' then (s.payload->>'emailId')::uuid end`;

/**
 * Every ActivityEvent of the tenant in [previous start, end) with the company it is about: a card's company;
 * an email's card's company; a record's company; a dead letter's email's card's company, or, for an email that
 * died before it had a card, the company of its sender's domain (as the pipeline would have linked it); or
 * the company itself. Insights' own events are left out, so a re-run reads what the first run read.
 * $1 tenant, $2 previous start, $3 start, $4 end, $5 entity or null, $6 STOCK_OUT_PATTERN.
 */
const SIGNALS_SQL = `
  with attributed as (
    select e.entity_id, e.kind, e.payload, case when e.occurred_at >= $3::timestamptz then 'current' else 'previous' end as period,
           coalesce(card.company_id, email_card.company_id, record.company_id, sync_card.company_id, sync_sender.id, own.id) as company_id
    from activity_events e
    left join cards card on e.entity_type = 'card' and card.id = e.entity_id and card.tenant_id = $1
    left join emails email on e.entity_type = 'email' and email.id = e.entity_id and email.tenant_id = $1
    left join cards email_card on email_card.id = email.card_id and email_card.tenant_id = $1
    left join business_records record on e.entity_type = 'record' and record.id = e.entity_id and record.tenant_id = $1
    left join sync_errors sync on e.entity_type = 'sync_error' and sync.id = e.entity_id and sync.tenant_id = $1
    left join emails sync_email on sync_email.id = sync.email_id and sync_email.tenant_id = $1
    left join cards sync_card on sync_card.id = sync_email.card_id and sync_card.tenant_id = $1
    left join lateral (
      select co.id from companies co
      where sync_email.id is not null and sync_card.id is null and co.tenant_id = $1 and co.domain is not null
        and (substring(lower(sync_email.from_address) from '@([^@]*)$') = co.domain
          or substring(lower(sync_email.from_address) from '@([^@]*)$') like ('%.' || co.domain))
      order by length(co.domain) desc, co.created_at
      limit 1
    ) sync_sender on true
    left join companies own on e.entity_type = 'company' and own.id = e.entity_id and own.tenant_id = $1
    where e.tenant_id = $1 and e.occurred_at >= $2::timestamptz and e.occurred_at < $4::timestamptz and e.kind <> 'insight.synthesized'
  ),
  scoped as (
    select * from attributed where company_id is not null and ($5::uuid is null or company_id = $5::uuid)
  ),
  subjects as (
    select company_id from scoped
    union
    select id from companies where tenant_id = $1 and id = $5::uuid
  ),
  periods (period, ends) as (values ('previous', $3::timestamptz), ('current', $4::timestamptz)),
  kinds as (
    select company_id, period, jsonb_object_agg(kind, n) as events_by_kind
    from (select company_id, period, kind, count(*) as n from scoped group by 1, 2, 3) k
    group by 1, 2
  ),
  mail as (
    select s.company_id, s.period, coalesce(s.payload->>'category', 'other') as category,
           case when jsonb_typeof(s.payload->'sentiment') = 'number' then (s.payload->>'sentiment')::float8 end as sentiment,
           coalesce((m.subject || ' ' || m.body) ~* $6, false) as mentions
    from scoped s
    left join emails m on m.id = ${PAYLOAD_EMAIL_ID} and m.tenant_id = $1
    where s.kind in ('card.created', 'email.threaded')
  ),
  mail_totals as (
    select company_id, period, count(*) as emails, avg(sentiment) as mean_sentiment,
           count(*) filter (where category = 'complaint') as complaints, count(*) filter (where mentions) as mention_emails
    from mail group by 1, 2
  ),
  categories as (
    select company_id, period, jsonb_object_agg(category, n) as category_mix
    from (select company_id, period, category, count(*) as n from mail group by 1, 2, 3) c
    group by 1, 2
  ),
  -- An order record counts in the period its current content was written in (updated_at), and in any period
  -- where one of its upsert events says so itself.
  record_mentions as (
    select company_id, period, count(distinct record_id) as mention_records
    from (
      select r.company_id, case when r.updated_at >= $3::timestamptz then 'current' else 'previous' end as period, r.id as record_id
      from business_records r
      where r.tenant_id = $1 and r.kind = 'order' and r.company_id in (select company_id from subjects)
        and r.updated_at >= $2::timestamptz and r.updated_at < $4::timestamptz
        and (coalesce(r.title, '') || ' ' || r.attributes::text) ~* $6
      union all
      select s.company_id, s.period, s.entity_id
      from scoped s
      where s.kind = 'record.upserted' and s.payload->>'kind' = 'order' and s.payload::text ~* $6
    ) x
    group by 1, 2
  ),
  -- A card's column at a past instant is the target of its last move before then; cards start in the inbox.
  open_cards as (
    select c.company_id, p.period, count(*) as open_cards, avg(extract(epoch from (p.ends - c.created_at)) / 86400) as mean_age_days
    from cards c
    cross join periods p
    left join lateral (
      select m.payload->>'to' as "column" from activity_events m
      where m.tenant_id = $1 and m.entity_id = c.id and m.kind = 'card.moved' and m.occurred_at < p.ends
      order by m.occurred_at desc, m.id desc
      limit 1
    ) moved on true
    where c.tenant_id = $1 and c.company_id in (select company_id from subjects) and c.created_at < p.ends
      and coalesce(moved."column", 'inbox') not in ('done', 'archived')
    group by 1, 2
  )
  select co.id as company_id, co.name, co.domain, p.period,
         exists (select 1 from scoped s where s.company_id = co.id and s.period = p.period) as active,
         k.events_by_kind, coalesce(t.emails, 0) as emails, cat.category_mix, t.mean_sentiment, coalesce(t.complaints, 0) as complaints,
         coalesce(t.mention_emails, 0) as mention_emails, coalesce(rm.mention_records, 0) as mention_records,
         coalesce(o.open_cards, 0) as open_cards, o.mean_age_days as open_card_mean_age_days
  from subjects su
  join companies co on co.id = su.company_id and co.tenant_id = $1
  cross join periods p
  left join kinds k on k.company_id = co.id and k.period = p.period
  left join mail_totals t on t.company_id = co.id and t.period = p.period
  left join categories cat on cat.company_id = co.id and cat.period = p.period
  left join record_mentions rm on rm.company_id = co.id and rm.period = p.period
  left join open_cards o on o.company_id = co.id and o.period = p.period
  order by co.name, co.id, p.period`;

/**
 * The period's own texts of each company, best grounding first: emails that mention stock-outs, then
 * complaints, then the most negative; records that mention them, then orders, then the newest.
 * $1 tenant, $2 start, $3 end, $4 companies, $5 STOCK_OUT_PATTERN.
 */
const SNIPPETS_SQL = `
  select company_id, kind, at, text from (
    select c.company_id, 'email' as kind, s.occurred_at as at, m.subject || ': ' || m.body as text,
           row_number() over (
             partition by c.company_id
             order by (m.subject || ' ' || m.body) ~* $5 desc, s.payload->>'category' = 'complaint' desc,
                      case when jsonb_typeof(s.payload->'sentiment') = 'number' then (s.payload->>'sentiment')::float8 end asc nulls last,
                      s.occurred_at desc, s.id
           ) as position
    from activity_events s
    join cards c on c.id = s.entity_id and c.tenant_id = $1
    join emails m on m.id = ${PAYLOAD_EMAIL_ID} and m.tenant_id = $1
    where s.tenant_id = $1 and s.entity_type = 'card' and s.kind in ('card.created', 'email.threaded')
      and s.occurred_at >= $2::timestamptz and s.occurred_at < $3::timestamptz and c.company_id = any($4::uuid[])
    union all
    select r.company_id, 'record', r.updated_at,
           coalesce(r.title, initcap(r.kind) || ' ' || r.external_id) || ' (' || r.kind || '): ' || r.attributes::text,
           row_number() over (
             partition by r.company_id
             order by (coalesce(r.title, '') || ' ' || r.attributes::text) ~* $5 desc, r.kind = 'order' desc, r.updated_at desc, r.id
           )
    from business_records r
    where r.tenant_id = $1 and r.company_id = any($4::uuid[]) and r.updated_at >= $2::timestamptz and r.updated_at < $3::timestamptz
  ) ranked
  where position <= ${MAX_SNIPPETS}
  order by company_id, kind, position`;

/**
 * The signals of every company of the tenant with activity in `period` or the one before (or of `entityId`
 * alone, active or not), set-wise in two statements. Runs in the caller's transaction, which has set the
 * tenant for RLS; every table is filtered by the tenant explicitly too.
 */
export async function aggregateSignals(client: PoolClient, tenantId: string, period: Period, entityId: string | null): Promise<EntityAggregate[]> {
  const previous = previousPeriod(period);
  const { rows } = await client.query<SignalRow>(SIGNALS_SQL, [tenantId, previous.start, period.start, period.end, entityId, STOCK_OUT_PATTERN]);
  const byCompany = new Map<string, { current?: SignalRow; previous?: SignalRow }>();
  for (const row of rows) byCompany.set(row.company_id, { ...byCompany.get(row.company_id), [row.period]: row });
  const ids = [...byCompany.keys()];
  const snippets = ids.length > 0 ? await snippetsOf(client, tenantId, period, ids) : new Map<string, InsightSnippet[]>();
  return [...byCompany.values()].map(({ current, previous: before }) => ({
    entity: { type: 'company', id: current!.company_id, name: current!.name, domain: current!.domain },
    signals: signalsOf(current!),
    previousSignals: before?.active ? signalsOf(before) : null,
    snippets: snippets.get(current!.company_id) ?? [],
  }));
}

function signalsOf(row: SignalRow): EntitySignals {
  const emails = Number(row.emails);
  const eventsByKind = Object.fromEntries(Object.entries(row.events_by_kind ?? {}).map(([kind, count]) => [kind, Number(count)]));
  const mentionEmails = Number(row.mention_emails);
  const mentionRecords = Number(row.mention_records);
  const openCards = Number(row.open_cards);
  return {
    eventsByKind,
    emails,
    categoryMix: Object.fromEntries(Object.entries(row.category_mix ?? {}).map(([category, count]) => [category, Number(count)])),
    meanSentiment: emails > 0 && row.mean_sentiment !== null ? round(Number(row.mean_sentiment), 3) : null,
    complaintShare: emails > 0 ? round(Number(row.complaints) / emails, 3) : null,
    stockOutMentions: { emails: mentionEmails, records: mentionRecords, total: mentionEmails + mentionRecords },
    openCards,
    openCardMeanAgeDays: openCards > 0 && row.open_card_mean_age_days !== null ? round(Number(row.open_card_mean_age_days), 1) : null,
    deadLetters: eventsByKind['sync.failed'] ?? 0,
  };
}

async function snippetsOf(client: PoolClient, tenantId: string, period: Period, companyIds: string[]): Promise<Map<string, InsightSnippet[]>> {
  const { rows } = await client.query<{ company_id: string; kind: 'email' | 'record'; at: Date; text: string }>(SNIPPETS_SQL, [
    tenantId,
    period.start,
    period.end,
    companyIds,
    STOCK_OUT_PATTERN,
  ]);
  const grouped = new Map<string, { email: InsightSnippet[]; record: InsightSnippet[] }>();
  for (const row of rows) {
    const group = grouped.get(row.company_id) ?? { email: [], record: [] };
    group[row.kind].push({ kind: row.kind, at: new Date(row.at).toISOString(), text: excerpt(row.text) });
    grouped.set(row.company_id, group);
  }
  // Emails first, but records keep at least the slots emails leave them: a backordered order is evidence too.
  return new Map(
    [...grouped].map(([companyId, { email, record }]) => {
      const emailCount = Math.min(email.length, Math.max(MAX_EMAIL_SNIPPETS, MAX_SNIPPETS - record.length));
      return [companyId, [...email.slice(0, emailCount), ...record.slice(0, MAX_SNIPPETS - emailCount)]];
    }),
  );
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= SNIPPET_CHARS) return flat;
  // Whole code points, so an emoji is never cut in half.
  return `${Array.from(flat).slice(0, SNIPPET_CHARS - 1).join('')}…`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
