import { randomUUID } from 'node:crypto';
import { Counter, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import type { AuthContext } from '../platform/context/auth-context';
import type { Database } from '../platform/db/database';
import { GroupCommit, type GroupCommitOptions } from '../platform/db/group-commit';
import { badInput, notFound } from '../platform/errors/pebble-error';
import type { JobWriter } from '../platform/queue/job-writer';
import { parseInput } from '../platform/validation/parse-input';
import type { BlacklistCache } from './blacklist-cache';
import { EmailBatchWriter, type PendingEmail, type WrittenEmail } from './email-batch-writer';
import { Email, type EmailStatus } from './email.entity';
import { emailSubmissionSchema, normalizeSubmission, type EmailLimits, type NormalizedEmail } from './email-submission';
import { IngestionError } from './ingestion.errors';
import { parseMime } from './mime-parser';
import type { TenantRateLimiter } from './rate-limiter';

/** Roles that may hand email to Pebble, on GraphQL and REST alike. */
export const INGESTION_WRITERS = ['admin', 'integration'];

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export interface IngestionReceipt {
  trackingId: string;
  status: 'queued';
  replayed: boolean;
}

export interface IngestionStatusView {
  trackingId: string;
  status: EmailStatus;
  subject: string;
  fromAddress: string;
  messageId: string | null;
  sourceSystem: string;
  acceptedAt: Date;
  updatedAt: Date;
  processingStartedAt: Date | null;
  finishedAt: Date | null;
  cardId: string | null;
  lastError: string | null;
}

export interface IngestionOptions {
  limits: EmailLimits;
  batch: GroupCommitOptions;
}

export interface IngestionDependencies {
  db: Database;
  jobs: JobWriter;
  blacklist: BlacklistCache;
  rateLimiter: TenantRateLimiter;
  metrics: Registry;
}

type Outcome = 'accepted' | 'replayed' | 'invalid' | 'blacklisted' | 'rate_limited' | 'failed';

/**
 * US-BKP-003: accepts an email for the caller's tenant, or refuses it with a reason. A `202` (a receipt)
 * is returned only after the email row and its `email_processing` job were committed together.
 */
export class IngestionService {
  private readonly schema: ReturnType<typeof emailSubmissionSchema>;
  private readonly commits: GroupCommit<PendingEmail, WrittenEmail>;
  private readonly outcomes: Counter<'outcome'>;
  private readonly batchSizes: Histogram;

  constructor(
    private readonly deps: IngestionDependencies,
    private readonly options: IngestionOptions,
  ) {
    this.schema = emailSubmissionSchema(options.limits);
    const writer = new EmailBatchWriter(deps.db, deps.jobs);
    this.commits = new GroupCommit(async (batch) => {
      this.batchSizes.observe(batch.length);
      return writer.write(batch);
    }, options.batch);
    this.outcomes = new Counter({
      name: 'pebble_ingestion_emails_total',
      help: 'Emails handed to the ingestion endpoint, by outcome (accepted, replayed, invalid, blacklisted, rate_limited, failed).',
      labelNames: ['outcome'],
      registers: [deps.metrics],
    });
    this.batchSizes = new Histogram({
      name: 'pebble_ingestion_batch_size',
      help: 'Emails per group-commit transaction.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [deps.metrics],
    });
  }

  /** A JSON submission; `raw` is the request body as received (GraphQL: the input re-serialised). */
  ingestJson(auth: AuthContext, input: unknown, raw: Buffer | string, idempotencyKey?: string | null): Promise<IngestionReceipt> {
    return this.counted(async () => {
      const key = parseIdempotencyKey(idempotencyKey);
      const parsed = parseInput(this.schema, input);
      return this.accept(auth, normalizeSubmission(parsed, typeof raw === 'string' ? Buffer.from(raw) : raw), key);
    });
  }

  /** A whole RFC 5322 message (`message/rfc822`). */
  ingestMime(auth: AuthContext, raw: Buffer, idempotencyKey?: string | null): Promise<IngestionReceipt> {
    return this.counted(async () => {
      const key = parseIdempotencyKey(idempotencyKey);
      if (raw.length === 0) throw badInput([{ field: 'body', message: 'must be a MIME message, got an empty body' }]);
      return this.accept(auth, await parseMime(raw, this.options.limits), key);
    });
  }

  status(auth: AuthContext, trackingId: string): Promise<IngestionStatusView> {
    return this.deps.db.withTenant(auth, async (em) => {
      const email = z.uuid().safeParse(trackingId).success ? await em.findOne(Email, { id: trackingId }) : null;
      if (!email) throw notFound('Ingestion', trackingId);
      return {
        trackingId: email.id,
        status: email.status,
        subject: email.subject,
        fromAddress: email.fromAddress,
        messageId: email.messageId,
        sourceSystem: email.sourceSystem,
        acceptedAt: email.createdAt,
        updatedAt: email.updatedAt,
        processingStartedAt: email.processingStartedAt,
        finishedAt: email.finishedAt,
        cardId: email.cardId,
        lastError: email.lastError,
      };
    });
  }

  /** Writes what was already accepted into a batch; called on shutdown before the pool closes. */
  drain(): Promise<void> {
    return this.commits.drain();
  }

  private async accept(auth: AuthContext, email: NormalizedEmail, idempotencyKey: string | null): Promise<IngestionReceipt> {
    for (const sender of email.senders) {
      const blockedBy = await this.deps.blacklist.match(sender);
      if (blockedBy) {
        throw new IngestionError('SENDER_BLACKLISTED', `Sender ${sender} is blacklisted (${blockedBy})`, {
          fields: [{ field: 'from', message: 'is on the global sender blacklist' }],
        });
      }
    }
    const wait = this.deps.rateLimiter.take(auth.tenantId);
    if (wait > 0) {
      throw new IngestionError('RATE_LIMITED', 'Ingestion rate limit reached for this tenant', { retryAfterSeconds: wait });
    }
    const written = await this.commits.submit({ id: randomUUID(), auth, email, idempotencyKey });
    return { trackingId: written.trackingId, status: 'queued', replayed: written.replayed };
  }

  private async counted(work: () => Promise<IngestionReceipt>): Promise<IngestionReceipt> {
    let outcome: Outcome = 'failed';
    try {
      const receipt = await work();
      outcome = receipt.replayed ? 'replayed' : 'accepted';
      return receipt;
    } catch (error) {
      outcome = outcomeOf(error);
      throw error;
    } finally {
      this.outcomes.inc({ outcome });
    }
  }
}

function outcomeOf(error: unknown): Outcome {
  if (error instanceof IngestionError) return error.code === 'SENDER_BLACKLISTED' ? 'blacklisted' : 'rate_limited';
  if ((error as { kind?: string }).kind === 'BAD_USER_INPUT') return 'invalid';
  return 'failed';
}

function parseIdempotencyKey(key: string | null | undefined): string | null {
  if (key === undefined || key === null) return null;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw badInput([{ field: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters without spaces' }]);
  }
  return key;
}
