import type PgBoss from 'pg-boss';
import type { FailureReport } from '../src/ops/dead-letter.service';
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
