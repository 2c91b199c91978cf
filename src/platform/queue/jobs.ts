import type PgBoss from 'pg-boss';

/** Every job carries who it acts for; the worker rebuilds the AuthContext from these fields only. */
export interface JobEnvelope {
  tenantId: string;
  correlationId: string;
}

/**
 * Queue name → payload. Features add their queues here (and to `QUEUES`); `jobs/registry.ts` must then
 * handle each one or the build fails.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface JobPayloads {}

export type JobName = keyof JobPayloads;

/** pg-boss queue options, in creation order: a dead-letter queue comes before the queue that names it. */
export const QUEUES: Record<JobName, Omit<PgBoss.Queue, 'name'>> = {};
