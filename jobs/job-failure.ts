import type PgBoss from 'pg-boss';
import type { z } from 'zod';
import type { FailureReport } from '../src/ops/dead-letter.service';
import { parseJobPayload } from '../src/pipeline/pipeline.errors';
import { BOSS_SCHEMA } from '../src/platform/queue/boss';
import type { JobName } from '../src/platform/queue/jobs';
import type { JobContext } from './registry';

/**
 * Fails one job with a report that the dead-letter record keeps (message, traceback, attempt). A failure no
 * retry can fix skips the remaining retries and goes to the dead-letter queue at once.
 */
export async function failJob(queue: JobName, job: PgBoss.Job<unknown>, error: Error, retryable: boolean, { boss, logger }: JobContext): Promise<void> {
  const report: FailureReport = {
    message: error.message,
    stack: error.stack ?? `${error.name}: ${error.message}`,
    jobId: job.id,
    attempt: (job as PgBoss.JobWithMetadata<unknown>).retryCount + 1,
    retryable,
  };
  logger.warn({ queue, job_id: job.id, attempt: report.attempt, retryable, err: error }, 'job attempt failed');
  if (!retryable) {
    // pg-boss retries while retry_count < retry_limit; closing that gap sends this failure to the dead-letter queue.
    await boss.getDb().executeSql(`update ${BOSS_SCHEMA}.job set retry_limit = retry_count where name = $1 and id = $2`, [queue, job.id]);
  }
  await boss.fail(queue, job.id, report);
}

/**
 * Runs `work` for each job of a fetch on its own, in turn: a payload `schema` rejects goes to the dead-letter
 * queue at once (no retry can fix it), and a failure of `work` is retried.
 */
export async function eachJob<Schema extends z.ZodTypeAny>(
  queue: JobName,
  jobs: PgBoss.Job<unknown>[],
  schema: Schema,
  context: JobContext,
  work: (payload: z.output<Schema>, job: PgBoss.JobWithMetadata<unknown>) => Promise<unknown>,
): Promise<void> {
  for (const job of jobs as PgBoss.JobWithMetadata<unknown>[]) {
    let payload: z.output<Schema>;
    try {
      payload = parseJobPayload(queue, schema, job.data);
    } catch (error) {
      await failJob(queue, job, error as Error, false, context);
      continue;
    }
    try {
      await work(payload, job);
    } catch (error) {
      await failJob(queue, job, error as Error, true, context);
    }
  }
}
