import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { z } from 'zod';
import type { ActivityKind } from '../activity/activity-event.entity';
import type { AuthContext } from '../platform/context/auth-context';
import { Database } from '../platform/db/database';
import { CommonError, notFound } from '../platform/errors/pebble-error';
import type { Logger } from '../platform/logging/logger';
import type { JobWriter, NewJob } from '../platform/queue/job-writer';
import type { JobName } from '../platform/queue/jobs';
import { parseInput } from '../platform/validation/parse-input';
import type { IndexQueue } from '../search/index-queue';
import type { SearchRef } from '../search/search-ref';
import { OPS_CHANNEL } from './ops.notifications';
import { SyncError } from './sync-error.entity';

/** Roles that see the pipeline's operations figures and dead letters, by query or subscription. */
export const OPS_VIEWERS = ['admin'];

/** The Context Layer's `source_system` of a SyncError: the part of Pebble whose job died. */
const SOURCE_OF_QUEUE: Record<string, string> = {
  email_processing: 'email-pipeline',
  index_activity: 'search-indexer',
  synthesize_tenant_insights: 'insights',
  synthesize_insights: 'insights',
};

/** What the processing worker attaches to a failed attempt (pg-boss keeps it as the job's output). */
export interface FailureReport {
  message: string;
  stack: string;
  jobId: string;
  attempt: number;
  retryable: boolean;
}

export interface DeadLetter {
  queue: string;
  data: unknown;
  output: unknown;
}

export interface OpsStats {
  dlqCount: number;
  queued: number;
  active: number;
  failedLastHour: number;
}

/** The figures, and when `failedLastHour` next drops with no event at all: its oldest failure turns an hour old. */
export interface OpsStatsReading {
  stats: OpsStats;
  /** By Postgres's clock; null when no failure is in the last hour. */
  failedLastHourDropsAt: Date | null;
  /** Postgres's `now()` for the figures: wait `failedLastHourDropsAt - readAt`, since this process's clock may differ. */
  readAt: Date;
}

const listInput = z.object({
  resolved: z.boolean().nullish(),
  first: z.number().int().min(1).max(100).default(20),
  after: z.uuid().nullish(),
});
export type ListSyncErrorsInput = z.input<typeof listInput>;

const envelope = z.object({ tenantId: z.uuid(), emailId: z.uuid().optional(), correlationId: z.string().min(1).max(200) });

/** US-BKP-005: dead-lettered jobs become SyncErrors that admins can inspect, replay or resolve. */
export class DeadLetterService {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobWriter,
    private readonly indexQueue: IndexQueue,
    private readonly logger: Logger,
  ) {}

  /** Records one dead-lettered job; a job recorded before (the DLQ delivered it twice) is updated, not duplicated. */
  async record({ queue, data, output }: DeadLetter): Promise<void> {
    const payload = envelope.safeParse(data);
    if (!payload.success) {
      // Without a tenant there is no one to show it to: keep it in the log, loudly.
      this.logger.error({ queue, data, output }, 'dead-lettered job without a tenant; not recorded as a SyncError');
      return;
    }
    const { tenantId, emailId, correlationId } = payload.data;
    const failure = failureOf(output);
    const sourceSystem = SOURCE_OF_QUEUE[queue] ?? queue;
    await this.db.transaction(async (client) => {
      await Database.setTenant(client, tenantId);
      const email = emailId
        ? (await client.query<{ raw: Buffer; first_failed_at: Date | null }>('select raw, first_failed_at from emails where id = $1', [emailId])).rows[0]
        : undefined;
      const jobId = failure.jobId ?? emailId ?? randomUUID();
      const { rows } = await client.query<{ id: string }>(
        `insert into sync_errors (id, tenant_id, source_system, correlation_id, queue, job_id, email_id, error, traceback, payload, raw_payload,
           attempts, first_failed_at, last_failed_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, coalesce($13, now()), now())
         on conflict (tenant_id, queue, job_id) do update set error = excluded.error, traceback = excluded.traceback,
           attempts = excluded.attempts, last_failed_at = now(), resolved_at = null, updated_at = now()
         returning id`,
        [randomUUID(), tenantId, sourceSystem, correlationId, queue, jobId, emailId ?? null, failure.message, failure.stack, JSON.stringify(data),
          email?.raw ?? null, failure.attempt, email?.first_failed_at ?? null],
      );
      if (emailId) {
        await client.query(`update emails set status = 'dead', finished_at = now(), last_error = $2, updated_at = now() where id = $1`, [emailId, failure.message.slice(0, 2000)]);
      }
      const eventRef = await this.event(client, { tenantId, correlationId, sourceSystem }, rows[0].id, 'sync.failed', {
        queue,
        jobId,
        emailId: emailId ?? null,
        error: failure.message,
        attempts: failure.attempt,
      });
      // The indexer's own failures stay out of the index: indexing them while the index is down would only fail again.
      if (queue !== 'index_activity') await this.indexQueue.queue(client, tenantId, correlationId, [eventRef]);
      await this.publish(client, tenantId);
    });
    this.logger.warn({ tenant_id: tenantId, queue, email_id: emailId, attempts: failure.attempt, err: failure.message }, 'job dead-lettered');
  }

  list(auth: AuthContext, input: ListSyncErrorsInput): Promise<SyncError[]> {
    const { resolved, first, after } = parseInput(listInput, input);
    return this.db.withTenant(auth, async (em) => {
      // Keyset on (last failure, id): ids are random, so the id alone says nothing about age.
      const cursor = after ? await em.findOne(SyncError, { id: after }, { fields: ['lastFailedAt'] }) : null;
      if (after && !cursor) throw notFound('SyncError', after);
      return em.find(
        SyncError,
        {
          ...(resolved === true ? { resolvedAt: { $ne: null } } : resolved === false ? { resolvedAt: null } : {}),
          ...(cursor ? { $or: [{ lastFailedAt: { $lt: cursor.lastFailedAt } }, { lastFailedAt: cursor.lastFailedAt, id: { $lt: cursor.id } }] } : {}),
        },
        { orderBy: { lastFailedAt: 'desc', id: 'desc' }, limit: first },
      );
    });
  }

  async stats(auth: AuthContext): Promise<OpsStats> {
    return (await this.readStats(auth)).stats;
  }

  /** `stats` and when `failedLastHour` drops by itself, in the same one statement. */
  readStats(auth: AuthContext): Promise<OpsStatsReading> {
    return this.db.withTenant(auth, async (em) => {
      // Times as epoch milliseconds: the ORM hands timestamptz over as text.
      const [row] = await em.execute<{ dlq: string; queued: string; active: string; failed: string; drops_at_ms: string | null; read_at_ms: string }[]>(
        `select
           (select count(*) from sync_errors where resolved_at is null) as dlq,
           (select count(*) from pgboss.job where name = 'email_processing' and state in ('created', 'retry') and data->>'tenantId' = ?) as queued,
           (select count(*) from pgboss.job where name = 'email_processing' and state = 'active' and data->>'tenantId' = ?) as active,
           recent.failed,
           extract(epoch from recent.oldest + interval '1 hour') * 1000 as drops_at_ms,
           extract(epoch from now()) * 1000 as read_at_ms
         from (select count(*) as failed, min(last_failed_at) as oldest from sync_errors where last_failed_at > now() - interval '1 hour') as recent`,
        [auth.tenantId, auth.tenantId],
      );
      return {
        stats: { dlqCount: Number(row.dlq), queued: Number(row.queued), active: Number(row.active), failedLastHour: Number(row.failed) },
        // Rounded apart, never together: microseconds lost to Date must not make the wait end before the failure leaves.
        failedLastHourDropsAt: row.drops_at_ms === null ? null : new Date(Math.ceil(Number(row.drops_at_ms))),
        readAt: new Date(Math.floor(Number(row.read_at_ms))),
      };
    });
  }

  /**
   * Re-queues the dead job as a new `email_processing` job in the same transaction that marks the SyncError
   * replayed. Idempotency makes this safe to press twice: the claim allows one card per email.
   */
  async replay(auth: AuthContext, id: string): Promise<SyncError> {
    const syncErrorId = parseInput(z.uuid(), id);
    const updated = await this.db.transaction(async (client) => {
      await Database.setTenant(client, auth.tenantId);
      const { rows } = await client.query<{ queue: string; payload: Record<string, unknown>; email_id: string | null; resolved_at: Date | null }>(
        'select queue, payload, email_id, resolved_at from sync_errors where id = $1 for update',
        [syncErrorId],
      );
      const error = rows[0];
      if (!error) return null;
      await this.jobs.insert(client, [replayJob(error, auth)]);
      await client.query(
        `update sync_errors set replayed_at = now(), resolved_at = now(), resolution_note = 'replayed', updated_at = now() where id = $1`,
        [syncErrorId],
      );
      if (error.email_id) {
        await client.query(`update emails set status = 'queued', finished_at = null, updated_at = now() where id = $1 and status = 'dead'`, [error.email_id]);
      }
      const eventRef = await this.event(client, { ...auth, sourceSystem: 'api' }, syncErrorId, 'sync.replayed', { queue: error.queue, emailId: error.email_id, by: auth.userId });
      await this.indexQueue.queue(client, auth.tenantId, auth.correlationId, [eventRef]);
      await this.publish(client, auth.tenantId);
      return syncErrorId;
    });
    if (!updated) throw notFound('SyncError', id);
    return this.get(auth, updated);
  }

  async resolve(auth: AuthContext, id: string, note: string): Promise<SyncError> {
    const { syncErrorId, text } = parseInput(z.object({ syncErrorId: z.uuid(), text: z.string().trim().min(1).max(2000) }), { syncErrorId: id, text: note });
    const found = await this.db.transaction(async (client) => {
      await Database.setTenant(client, auth.tenantId);
      const { rowCount } = await client.query(
        `update sync_errors set resolved_at = coalesce(resolved_at, now()), resolution_note = $2, updated_at = now() where id = $1`,
        [syncErrorId, text],
      );
      if (rowCount === 0) return false;
      const eventRef = await this.event(client, { ...auth, sourceSystem: 'api' }, syncErrorId, 'sync.resolved', { note: text, by: auth.userId });
      await this.indexQueue.queue(client, auth.tenantId, auth.correlationId, [eventRef]);
      await this.publish(client, auth.tenantId);
      return true;
    });
    if (!found) throw notFound('SyncError', id);
    return this.get(auth, syncErrorId);
  }

  private get(auth: AuthContext, id: string): Promise<SyncError> {
    return this.db.withTenant(auth, async (em) => {
      const error = await em.findOne(SyncError, { id });
      if (!error) throw notFound('SyncError', id);
      return error;
    });
  }

  /** An ActivityStream entry about a SyncError, in the caller's transaction; returns its ref for the index. */
  private async event(
    client: PoolClient,
    by: { tenantId: string; correlationId: string; sourceSystem: string },
    syncErrorId: string,
    kind: ActivityKind,
    payload: Record<string, unknown>,
  ): Promise<SearchRef> {
    const id = randomUUID();
    await client.query(
      `insert into activity_events (id, tenant_id, source_system, correlation_id, entity_type, entity_id, kind, payload)
       values ($1, $2, $3, $4, 'sync_error', $5, $6, $7)`,
      [id, by.tenantId, by.sourceSystem, by.correlationId, syncErrorId, kind, JSON.stringify(payload)],
    );
    return { type: 'activity', id };
  }

  /** NOTIFY is delivered on commit, so listeners never hear of a change that rolled back. */
  private async publish(client: PoolClient, tenantId: string): Promise<void> {
    await client.query(
      `select pg_notify($1, json_build_object('topic', 'dlq', 'tenantId', $2::text,
         'dlqCount', (select count(*) from sync_errors where resolved_at is null))::text)`,
      [OPS_CHANNEL, tenantId],
    );
  }
}

/** The job that does the dead job's work again, on its own queue, on behalf of whoever pressed Replay. */
function replayJob(error: { queue: string; payload: Record<string, unknown>; email_id: string | null }, auth: AuthContext): NewJob<JobName> {
  const envelope = { tenantId: auth.tenantId, correlationId: auth.correlationId };
  if (error.queue === 'email_processing' && error.email_id) {
    return { id: randomUUID(), name: 'email_processing', data: { ...envelope, emailId: error.email_id } };
  }
  const refs = error.payload.refs;
  if (error.queue === 'index_activity' && Array.isArray(refs) && refs.every((ref) => typeof ref === 'string')) {
    return { id: randomUUID(), name: 'index_activity', data: { ...envelope, refs } };
  }
  // The same run id: the replayed run skips the companies it stored before it died.
  const insightRun = z.object({ runId: z.uuid(), periodEnd: z.iso.datetime({ offset: true }), entityId: z.uuid().optional() }).safeParse(error.payload);
  if (error.queue === 'synthesize_tenant_insights' && insightRun.success) {
    return { id: randomUUID(), name: 'synthesize_tenant_insights', data: { ...envelope, ...insightRun.data } };
  }
  throw new CommonError('BAD_USER_INPUT', `Jobs of queue ${error.queue} cannot be replayed`);
}

function failureOf(output: unknown): { message: string; stack: string; jobId?: string; attempt: number } {
  const report = (output ?? {}) as Partial<FailureReport> & { value?: { message?: string } };
  const message = report.message ?? report.value?.message ?? 'unknown failure';
  return {
    message,
    stack: report.stack ?? message,
    jobId: typeof report.jobId === 'string' ? report.jobId : undefined,
    attempt: typeof report.attempt === 'number' ? report.attempt : 1,
  };
}
