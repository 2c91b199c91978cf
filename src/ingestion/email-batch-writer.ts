import type { PoolClient } from 'pg';
import { notifyQueueChanged } from '../ops/ops.notifications';
import type { AuthContext } from '../platform/context/auth-context';
import { Database } from '../platform/db/database';
import type { JobWriter, NewJob } from '../platform/queue/job-writer';
import type { JobName } from '../platform/queue/jobs';
import { IndexQueue } from '../search/index-queue';
import type { NormalizedEmail } from './email-submission';

export interface PendingEmail {
  /** Becomes the email id, the tracking id and the job id. */
  id: string;
  auth: AuthContext;
  email: NormalizedEmail;
  idempotencyKey: string | null;
}

export interface WrittenEmail {
  trackingId: string;
  /** True when an earlier request with the same Idempotency-Key was answered instead. */
  replayed: boolean;
}

/** How long an Idempotency-Key answers with its first email; `prune_expired` deletes keys older than this. */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60;

const INSERT_EMAILS = `
  insert into emails (id, tenant_id, source_system, correlation_id, subject, from_address, from_name, to_addresses,
    cc_addresses, body, attachment_urls, attachments, message_id, in_reply_to, reference_ids, received_at, raw,
    raw_content_type, parse_problems)
  select x.id, $1, x.source_system, x.correlation_id, x.subject, x.from_address, x.from_name, x.to_addresses,
    x.cc_addresses, x.body, x.attachment_urls, x.attachments, x.message_id, x.in_reply_to, x.reference_ids,
    coalesce(x.received_at, now()), x.raw, x.raw_content_type, x.parse_problems
  from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::jsonb[],
    $10::text[], $11::jsonb[], $12::jsonb[], $13::text[], $14::text[], $15::jsonb[], $16::timestamptz[], $17::bytea[],
    $18::text[], $19::jsonb[])
    as x(id, source_system, correlation_id, subject, from_address, from_name, to_addresses, cc_addresses, body,
      attachment_urls, attachments, message_id, in_reply_to, reference_ids, received_at, raw, raw_content_type,
      parse_problems)`;

// Claims each key, or takes over one older than the window; keys it returns are new, the rest are replays.
const CLAIM_KEYS = `
  insert into ingestion_keys (id, tenant_id, source_system, correlation_id, key, email_id)
  select x.email_id, $1, 'api', x.correlation_id, x.key, x.email_id
  from unnest($2::text[], $3::uuid[], $4::text[]) as x(key, email_id, correlation_id)
  on conflict (tenant_id, key) do update
    set email_id = excluded.email_id, correlation_id = excluded.correlation_id, created_at = now(), updated_at = now()
    where ingestion_keys.created_at < now() - interval '${IDEMPOTENCY_WINDOW_SECONDS} seconds'
  returning key`;

const EARLIER_RESPONSES = `select key, email_id from ingestion_keys where tenant_id = $1 and key = any($2::text[])`;

/**
 * Writes one group-commit batch: every tenant's emails (under that tenant's RLS setting), the Idempotency-Key
 * ledger, one `email_processing` job per new email and one `index_activity` job per tenant, all in one
 * transaction and one job insert.
 */
export class EmailBatchWriter {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobWriter,
  ) {}

  write = (batch: PendingEmail[]): Promise<WrittenEmail[]> =>
    this.db.transaction(async (client) => {
      const results = new Map<PendingEmail, WrittenEmail>();
      const jobs: NewJob<JobName>[] = [];
      const queuedFor: string[] = [];
      for (const [tenantId, items] of groupBy(batch, (item) => item.auth.tenantId)) {
        await Database.setTenant(client, tenantId);
        const fresh = await this.claimKeys(client, tenantId, items, results);
        if (fresh.length === 0) continue;
        queuedFor.push(tenantId);
        await client.query(INSERT_EMAILS, [tenantId, ...columns(fresh)]);
        for (const item of fresh) {
          results.set(item, { trackingId: item.id, replayed: false });
          jobs.push({ id: item.id, name: 'email_processing', data: { tenantId, emailId: item.id, correlationId: item.auth.correlationId } });
        }
        jobs.push(...IndexQueue.jobsFor(tenantId, fresh[0]!.auth.correlationId, fresh.map((item) => ({ type: 'email', id: item.id }))));
      }
      await this.jobs.insert(client, jobs);
      await notifyQueueChanged(client, queuedFor);
      return batch.map((item) => results.get(item)!);
    });

  /** Returns the items to store; items whose key was already used get the earlier answer in `results`. */
  private async claimKeys(client: PoolClient, tenantId: string, items: PendingEmail[], results: Map<PendingEmail, WrittenEmail>): Promise<PendingEmail[]> {
    const firstByKey = new Map<string, PendingEmail>();
    const sameBatchRepeats: PendingEmail[] = [];
    for (const item of items) {
      if (item.idempotencyKey === null) continue;
      if (firstByKey.has(item.idempotencyKey)) sameBatchRepeats.push(item);
      else firstByKey.set(item.idempotencyKey, item);
    }
    if (firstByKey.size === 0) return items;

    const keyed = [...firstByKey.values()];
    const { rows } = await client.query<{ key: string }>(CLAIM_KEYS, [
      tenantId,
      keyed.map((item) => item.idempotencyKey),
      keyed.map((item) => item.id),
      keyed.map((item) => item.auth.correlationId),
    ]);
    const claimed = new Set(rows.map((row) => row.key));
    const taken = keyed.filter((item) => !claimed.has(item.idempotencyKey!));
    if (taken.length > 0) {
      const earlier = await client.query<{ key: string; email_id: string }>(EARLIER_RESPONSES, [tenantId, taken.map((item) => item.idempotencyKey)]);
      const emailByKey = new Map(earlier.rows.map((row) => [row.key, row.email_id]));
      for (const item of taken) results.set(item, { trackingId: emailByKey.get(item.idempotencyKey!)!, replayed: true });
    }
    for (const item of sameBatchRepeats) {
      const first = firstByKey.get(item.idempotencyKey!)!;
      const earlier = claimed.has(item.idempotencyKey!) ? first.id : results.get(first)!.trackingId;
      results.set(item, { trackingId: earlier, replayed: true });
    }
    const replayed = new Set([...taken, ...sameBatchRepeats]);
    return items.filter((item) => !replayed.has(item));
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const group = groups.get(name);
    if (group) group.push(item);
    else groups.set(name, [item]);
  }
  return groups;
}

/** Column arrays for `unnest`, in the order of INSERT_EMAILS's parameters $2.. */
function columns(items: PendingEmail[]): unknown[] {
  const json = (value: unknown) => JSON.stringify(value);
  const pick = <T>(get: (email: NormalizedEmail, item: PendingEmail) => T) => items.map((item) => get(item.email, item));
  return [
    items.map((item) => item.id),
    pick((email) => email.sourceSystem),
    pick((_email, item) => item.auth.correlationId),
    pick((email) => email.subject),
    pick((email) => email.fromAddress),
    pick((email) => email.fromName),
    pick((email) => json(email.to)),
    pick((email) => json(email.cc)),
    pick((email) => email.body),
    pick((email) => json(email.attachmentUrls)),
    pick((email) => json(email.attachments)),
    pick((email) => email.messageId),
    pick((email) => email.inReplyTo),
    pick((email) => json(email.references)),
    pick((email) => email.receivedAt),
    pick((email) => email.raw),
    pick((email) => email.rawContentType),
    pick((email) => json(email.parseProblems)),
  ];
}
