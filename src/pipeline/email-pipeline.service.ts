import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { z } from 'zod';
import type { Classification, Classifier } from '../classification/classifier';
import { Database } from '../platform/db/database';
import type { Logger } from '../platform/logging/logger';
import { parentDomains, writeCards } from './card-batch-writer';
import { emailIdentity, hashMessageId, normalizeMessageId } from './message-id';
import { PermanentJobError } from './pipeline.errors';

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
  const parsed = payloadSchema.safeParse(data);
  if (!parsed.success) throw new PermanentJobError(`Malformed email_processing payload: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'data'} ${i.message}`).join('; ')}`);
  return parsed.data;
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
    private readonly logger: Logger,
  ) {}

  async process(payload: EmailJobPayload, signal?: AbortSignal): Promise<PipelineOutcome> {
    const { tenantId, emailId } = payload;
    const email = await this.start(payload);
    if (!email) throw new PermanentJobError(`Email ${emailId} does not exist in tenant ${tenantId}`);
    if (email.status === 'carded' || email.status === 'duplicate') {
      // pg-boss delivers at least once: a job whose work already committed changes nothing.
      this.logger.info({ tenant_id: tenantId, email_id: emailId, status: email.status }, 'email already processed; skipping');
      return { kind: 'skipped', reason: `already ${email.status}` };
    }
    const identity = emailIdentity({
      messageId: email.message_id,
      fromAddress: email.from_address,
      receivedAt: email.received_at,
      subject: email.subject,
      body: email.body,
    });
    const classification = await this.classifier.classify({ subject: email.subject, body: email.body, from: email.from_address }, signal);
    return this.db.transaction(async (client) => {
      await Database.setTenant(client, tenantId);
      const claimed = await client.query(
        `insert into processed_emails (id, tenant_id, source_system, correlation_id, message_id_hash, hash_source, email_id)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (tenant_id, message_id_hash) do nothing returning id`,
        [randomUUID(), tenantId, PIPELINE_SOURCE, payload.correlationId, identity.hash, identity.source, emailId],
      );
      if (claimed.rowCount === 0) return this.duplicate(client, payload, identity.hash);
      return this.card(client, payload, email, identity.hash, classification);
    });
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
      const outcomes = await writeCards(
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
      return new Map(rows.map((row) => [row.id, row]));
    });
  }

  /** Marks the email `processing` and reads it, in the job's tenant. */
  private start({ tenantId, emailId, correlationId }: EmailJobPayload): Promise<EmailRow | undefined> {
    return this.db.transaction(async (client) => {
      await Database.setTenant(client, tenantId);
      const { rows } = await client.query<EmailRow>(
        `update emails set status = case when status in ('carded', 'duplicate') then status else 'processing' end,
           processing_started_at = coalesce(processing_started_at, now()), updated_at = now(), correlation_id = $3
         where id = $1 and tenant_id = $2
         returning id, status, subject, from_address, body, message_id, in_reply_to, reference_ids, received_at, card_id`,
        [emailId, tenantId, correlationId],
      );
      return rows[0];
    });
  }

  private async duplicate(client: PoolClient, payload: EmailJobPayload, hash: string): Promise<PipelineOutcome> {
    const { rows } = await client.query<{ email_id: string; card_id: string | null }>(
      'select email_id, card_id from processed_emails where tenant_id = $1 and message_id_hash = $2',
      [payload.tenantId, hash],
    );
    const original = rows[0];
    await this.event(client, payload, 'email', payload.emailId, 'duplicate.ignored', {
      message: 'Duplicate Ignored',
      messageIdHash: hash,
      originalEmailId: original?.email_id ?? null,
      cardId: original?.card_id ?? null,
    });
    await client.query(
      `update emails set status = 'duplicate', message_id_hash = $2, card_id = $3, finished_at = now(), updated_at = now() where id = $1`,
      [payload.emailId, hash, original?.card_id ?? null],
    );
    this.logger.info({ tenant_id: payload.tenantId, email_id: payload.emailId, original_email_id: original?.email_id }, 'Duplicate Ignored');
    return { kind: 'duplicate', cardId: original?.card_id ?? null };
  }

  private async card(client: PoolClient, payload: EmailJobPayload, email: EmailRow, hash: string, classification: Classification): Promise<PipelineOutcome> {
    const { tenantId, emailId } = payload;
    const threadCardId = await this.threadOf(client, tenantId, email);
    let cardId: string;
    if (threadCardId) {
      cardId = threadCardId;
      await client.query('update cards set email_count = email_count + 1, updated_at = now() where id = $1', [cardId]);
      await this.event(client, payload, 'card', cardId, 'email.threaded', { emailId, subject: email.subject, category: classification.category });
    } else {
      cardId = randomUUID();
      const companyId = await this.companyOf(client, tenantId, email.from_address);
      await client.query(
        `insert into cards (id, tenant_id, source_system, correlation_id, "column", title, category, priority, sentiment, company_id, first_email_id, thread_key)
         values ($1, $2, $3, $4, 'inbox', $5, $6, $7, $8, $9, $10, $11)`,
        [cardId, tenantId, PIPELINE_SOURCE, payload.correlationId, email.subject.trim() || '(no subject)', classification.category,
          classification.priority, classification.sentiment, companyId, emailId, hash],
      );
      await this.event(client, payload, 'card', cardId, 'card.created', {
        emailId,
        category: classification.category,
        priority: classification.priority,
        sentiment: classification.sentiment,
        confidence: classification.confidence,
        classifier: `${classification.provider}/${classification.model}`,
        ...(classification.fallbackReason ? { classifierFallback: classification.fallbackReason } : {}),
        companyId,
      });
    }
    await client.query('update processed_emails set card_id = $1, updated_at = now() where tenant_id = $2 and message_id_hash = $3', [cardId, tenantId, hash]);
    await client.query(
      `update emails set status = 'carded', card_id = $2, message_id_hash = $3, finished_at = now(), updated_at = now(), last_error = null where id = $1`,
      [emailId, cardId, hash],
    );
    return { kind: 'carded', cardId, threaded: threadCardId !== null };
  }

  /** The card of an earlier email this one replies to (In-Reply-To, then References, newest first). */
  private async threadOf(client: PoolClient, tenantId: string, email: EmailRow): Promise<string | null> {
    const referenced = [email.in_reply_to, ...[...email.reference_ids].reverse()].filter(
      (id): id is string => typeof id === 'string' && normalizeMessageId(id) !== '',
    );
    if (referenced.length === 0) return null;
    const hashes = referenced.map(hashMessageId);
    const { rows } = await client.query<{ card_id: string }>(
      `select card_id from processed_emails where tenant_id = $1 and message_id_hash = any($2::text[]) and card_id is not null
       order by array_position($2::text[], message_id_hash) limit 1`,
      [tenantId, hashes],
    );
    return rows[0]?.card_id ?? null;
  }

  /** The tenant's company whose domain is the sender's domain or a parent of it (`eu.acme.example` → `acme.example`). */
  private async companyOf(client: PoolClient, tenantId: string, fromAddress: string): Promise<string | null> {
    const candidates = parentDomains(fromAddress);
    if (candidates.length === 0) return null;
    const { rows } = await client.query<{ id: string }>(
      `select id from companies where tenant_id = $1 and domain = any($2::text[])
       order by array_position($2::text[], domain), created_at limit 1`,
      [tenantId, candidates],
    );
    return rows[0]?.id ?? null;
  }

  private async event(client: PoolClient, payload: EmailJobPayload, entityType: string, entityId: string, kind: string, details: Record<string, unknown>): Promise<void> {
    await client.query(
      `insert into activity_events (id, tenant_id, source_system, correlation_id, entity_type, entity_id, kind, payload)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [randomUUID(), payload.tenantId, PIPELINE_SOURCE, payload.correlationId, entityType, entityId, kind, JSON.stringify(details)],
    );
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
