import { z } from 'zod';
import type { Classification, Classifier } from '../classification/classifier';
import { notifyQueueChanged } from '../ops/ops.notifications';
import { Database } from '../platform/db/database';
import type { Logger } from '../platform/logging/logger';
import type { IndexQueue } from '../search/index-queue';
import { writeCards } from './card-batch-writer';
import { emailIdentity } from './message-id';
import { parseJobPayload, PermanentJobError } from './pipeline.errors';

export const PIPELINE_SOURCE = 'email-pipeline';

const payloadSchema = z.object({ tenantId: z.uuid(), emailId: z.uuid(), correlationId: z.string().min(1).max(200) });
export type EmailJobPayload = z.infer<typeof payloadSchema>;

export type PipelineOutcome =
  | { kind: 'carded'; cardId: string; threaded: boolean }
  | { kind: 'duplicate'; cardId: string | null }
  | { kind: 'skipped'; reason: string };

interface EmailRow {
  id: string;
  status: string;
  subject: string;
  from_address: string;
  body: string;
  message_id: string | null;
  in_reply_to: string | null;
  reference_ids: string[];
  received_at: Date;
  card_id: string | null;
}

/** Parses a job payload; anything else is a malformed job that no retry can fix. */
export function parseEmailJob(data: unknown): EmailJobPayload {
  return parseJobPayload('email_processing', payloadSchema, data);
}

/**
 * US-BKP-004/006: turns one accepted email into exactly one card. Classification runs outside the
 * transaction; the claim in `processed_emails`, the card and the events commit together, so a crash at any
 * point leaves either nothing or everything, and a second run finds the claim.
 */
export class EmailPipeline {
  constructor(
    private readonly db: Database,
    private readonly classifier: Classifier,
    private readonly indexQueue: IndexQueue,
    private readonly logger: Logger,
  ) {}

  /** One job on its own: the fallback when a fetch's shared transaction failed. */
  async process(payload: EmailJobPayload): Promise<PipelineOutcome> {
    const outcome = (await this.processBatch(payload.tenantId, [payload])).get(payload)!;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  /**
   * Several jobs of one tenant (one fetch) in two transactions instead of two per email: one marks them all
   * `processing`, one claims them all (in hash order, so concurrent workers lock in the same order) and writes
   * their cards set-wise (`writeCards`). Failures of single emails before that transaction (missing email, classifier)
   * are returned per job; if the shared transaction fails, this throws and the caller retries each job alone.
   */
  async processBatch(tenantId: string, payloads: EmailJobPayload[]): Promise<Map<EmailJobPayload, PipelineOutcome | Error>> {
    const results = new Map<EmailJobPayload, PipelineOutcome | Error>();
    const emails = await this.startMany(tenantId, payloads);
    const work: { payload: EmailJobPayload; email: EmailRow; hash: string; source: 'message_id' | 'content'; classification: Classification }[] = [];
    const seen = new Set<string>();
    for (const payload of payloads) {
      const email = emails.get(payload.emailId);
      if (!email) {
        results.set(payload, new PermanentJobError(`Email ${payload.emailId} does not exist in tenant ${tenantId}`));
      } else if (email.status === 'carded' || email.status === 'duplicate' || seen.has(email.id)) {
        // pg-boss delivers at least once: a job whose work already committed changes nothing.
        this.logger.info({ tenant_id: tenantId, email_id: email.id, status: email.status }, 'email already processed; skipping');
        results.set(payload, { kind: 'skipped', reason: `already ${email.status}` });
      } else {
        seen.add(email.id);
        try {
          const classification = await this.classifier.classify({ subject: email.subject, body: email.body, from: email.from_address });
          const identity = emailIdentity({ messageId: email.message_id, fromAddress: email.from_address, receivedAt: email.received_at, subject: email.subject, body: email.body });
          work.push({ payload, email, hash: identity.hash, source: identity.source, classification });
        } catch (error) {
          results.set(payload, error as Error);
        }
      }
    }
    if (work.length === 0) return results;
    await this.db.transaction(async (client) => {
      await Database.setTenant(client, tenantId);
      const { rows } = await client.query<{ email_id: string }>(
        `insert into processed_emails (id, tenant_id, source_system, correlation_id, message_id_hash, hash_source, email_id)
         select gen_random_uuid(), $1, $2, x.correlation_id, x.hash, x.source, x.email_id
         from unnest($3::text[], $4::text[], $5::uuid[], $6::text[]) with ordinality as x(hash, source, email_id, correlation_id, position)
         order by x.hash, x.position
         on conflict (tenant_id, message_id_hash) do nothing returning email_id`,
        [tenantId, PIPELINE_SOURCE, work.map((w) => w.hash), work.map((w) => w.source), work.map((w) => w.payload.emailId), work.map((w) => w.payload.correlationId)],
      );
      const claimed = new Set(rows.map((row) => row.email_id));
      const { outcomes, written } = await writeCards(
        client,
        tenantId,
        work.map(({ payload, email, hash, classification }) => ({
          emailId: payload.emailId,
          correlationId: payload.correlationId,
          subject: email.subject,
          fromAddress: email.from_address,
          inReplyTo: email.in_reply_to,
          referenceIds: email.reference_ids,
          hash,
          classification,
          claimed: claimed.has(payload.emailId),
        })),
      );
      for (const { payload } of work) results.set(payload, outcomes.get(payload.emailId)!);
      await this.indexQueue.queue(client, tenantId, work[0]!.payload.correlationId, written);
    });
    const duplicates = work.filter(({ payload }) => (results.get(payload) as PipelineOutcome).kind === 'duplicate').length;
    if (duplicates > 0) this.logger.info({ tenant_id: tenantId, duplicates }, 'Duplicate Ignored');
    return results;
  }

  private startMany(tenantId: string, payloads: EmailJobPayload[]): Promise<Map<string, EmailRow>> {
    return this.db.transaction(async (client) => {
      await Database.setTenant(client, tenantId);
      const { rows } = await client.query<EmailRow>(
        `update emails e set status = case when e.status in ('carded', 'duplicate') then e.status else 'processing' end,
           processing_started_at = coalesce(e.processing_started_at, now()), updated_at = now(), correlation_id = x.correlation_id
         from unnest($2::uuid[], $3::text[]) as x(id, correlation_id)
         where e.id = x.id and e.tenant_id = $1
         returning e.id, e.status, e.subject, e.from_address, e.body, e.message_id, e.in_reply_to, e.reference_ids, e.received_at, e.card_id`,
        [tenantId, payloads.map((p) => p.emailId), payloads.map((p) => p.correlationId)],
      );
      // pg-boss moved these jobs to `active` when it handed them out; that move sends no NOTIFY of its own.
      await notifyQueueChanged(client, [tenantId]);
      return new Map(rows.map((row) => [row.id, row]));
    });
  }

  /** Counts a failed attempt on the email, so the dead-letter record knows when failures began. */
  async recordFailure(payload: EmailJobPayload, error: Error): Promise<void> {
    await this.db.transaction(async (client) => {
      await Database.setTenant(client, payload.tenantId);
      await client.query(
        `update emails set attempts = attempts + 1, first_failed_at = coalesce(first_failed_at, now()), last_error = $2, updated_at = now() where id = $1`,
        [payload.emailId, error.message.slice(0, 2000)],
      );
    });
  }
}
