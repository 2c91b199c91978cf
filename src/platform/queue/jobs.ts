import type PgBoss from 'pg-boss';

/** Every job carries who it acts for; the worker rebuilds the AuthContext from these fields only. */
export interface JobEnvelope {
  tenantId: string;
  correlationId: string;
}

/**
 * Queue name → payload. Features add their queues here (and to `queueDefinitions`); `jobs/registry.ts`
 * must then say how each one is handled or the build fails.
 */
export interface JobPayloads {
  /** An accepted email waiting to become a card; the job id is the email id (the tracking id). */
  email_processing: JobEnvelope & { emailId: string };
  /** An `email_processing` job that failed every attempt, as pg-boss dead-lettered it. */
  email_dlq: JobEnvelope & { emailId: string };
  /** Objects written in one transaction, to be (re)embedded and indexed: `<type>:<id>` keys (see `search-ref.ts`). */
  index_activity: JobEnvelope & { refs: string[] };
  /** An `index_activity` job that failed every attempt. */
  index_dlq: JobEnvelope & { refs: string[] };
  /**
   * The scheduled insight run (cron INSIGHTS_CRON). The one payload without a tenant: it acts for all of them,
   * queueing one `synthesize_tenant_insights` job per tenant. `periodEnd` (ISO 8601) defaults to the start of
   * the UTC day the run was queued on; the run id is this job's id.
   */
  synthesize_insights: { correlationId: string; periodEnd?: string };
  /** One tenant's insights for the period ending at `periodEnd` (ISO 8601): every active company, or `entityId` alone. */
  synthesize_tenant_insights: JobEnvelope & { runId: string; periodEnd: string; entityId?: string };
  /** A `synthesize_insights` or `synthesize_tenant_insights` job that failed every attempt. */
  insights_dlq: JobPayloads['synthesize_insights'] | JobPayloads['synthesize_tenant_insights'];
  /** The scheduled deletion of expired keys, tokens, login-throttle rows and thread references (cron PRUNE_CRON); like the insight run, for every tenant at once. */
  prune_expired: { correlationId: string };
}

export type JobName = keyof JobPayloads;

/** Operator-tunable parts of the queue policies (from config). */
export interface QueueSettings {
  emailRetryDelaySeconds: number;
  emailExpireSeconds: number;
  indexRetryLimit: number;
  indexRetryDelaySeconds: number;
  indexExpireSeconds: number;
  insightsExpireSeconds: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  emailRetryDelaySeconds: 5,
  emailExpireSeconds: 300,
  indexRetryLimit: 8,
  indexRetryDelaySeconds: 5,
  indexExpireSeconds: 300,
  insightsExpireSeconds: 900,
};

/** Every queue, in creation order. */
export const JOB_NAMES = Object.keys(queueDefinitions(DEFAULT_QUEUE_SETTINGS)) as [JobName, ...JobName[]];

/** pg-boss queue options, in creation order: a dead-letter queue comes before the queue that names it. */
export function queueDefinitions(settings: QueueSettings): Record<JobName, Omit<PgBoss.Queue, 'name'>> {
  return {
    email_dlq: { policy: 'standard', retryLimit: 0, retentionDays: 30 },
    email_processing: {
      policy: 'standard',
      // The first 3 failures are retried (4 attempts in all), waiting delay, 2×delay, 4×delay.
      retryLimit: 3,
      retryBackoff: true,
      retryDelay: settings.emailRetryDelaySeconds,
      // An attempt still active after this is failed (and retried): a worker killed mid-job loses nothing.
      expireInSeconds: settings.emailExpireSeconds,
      deadLetter: 'email_dlq',
    },
    index_dlq: { policy: 'standard', retryLimit: 0, retentionDays: 30 },
    index_activity: {
      policy: 'standard',
      // Long enough, with doubling delays, to ride out a Chroma outage; the rows to index wait in Postgres meanwhile.
      retryLimit: settings.indexRetryLimit,
      retryBackoff: true,
      retryDelay: settings.indexRetryDelaySeconds,
      expireInSeconds: settings.indexExpireSeconds,
      deadLetter: 'index_dlq',
    },
    insights_dlq: { policy: 'standard', retryLimit: 0, retentionDays: 30 },
    synthesize_insights: {
      policy: 'standard',
      // Retried at 30 s, 1 min and 2 min: the fan-out only reads tenants and queues jobs, so a failure is an outage.
      retryLimit: 3,
      retryBackoff: true,
      retryDelay: 30,
      expireInSeconds: 300,
      deadLetter: 'insights_dlq',
    },
    synthesize_tenant_insights: {
      policy: 'standard',
      // Retried at 1, 2 and 4 min; a retry skips the companies its run already stored, so it resumes.
      retryLimit: 3,
      retryBackoff: true,
      retryDelay: 60,
      // Longer than INSIGHTS_LLM_TIMEOUT_MS (config checks it): a slow model falls back before the attempt expires.
      expireInSeconds: settings.insightsExpireSeconds,
      deadLetter: 'insights_dlq',
    },
    prune_expired: {
      policy: 'standard',
      // Retried at 5 and 10 min, then left failed (no dead-letter queue): the rows wait for tomorrow's run, and a
      // dead letter would only keep a copy of the constant payload. The failure stays in pgboss.job.
      retryLimit: 2,
      retryBackoff: true,
      retryDelay: 300,
      // A first prune of a long backlog may run this long; it commits chunk by chunk, so a retry carries on.
      expireInSeconds: 3600,
    },
  };
}
